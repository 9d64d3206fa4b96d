"""What `spcred serve` and `spcred agent` write to stderr when it is not a terminal: plain text
(no ANSI colour codes), the effective configuration with its secrets redacted, and for the agent
which source of the AWS credential chain gave the credentials, never the secret."""
from agentproc import blog_setup, start_agent


def test_serve_logs_its_configuration_without_colour_or_secrets(fresh_server):
    s = fresh_server(["--smtp-url", "smtp://mailer:hunter2-smtp@127.0.0.1:2525",
                      "--sms-url", "https://AC123:hunter2-sms@sms.example/send"])
    log = s.log()
    assert "\x1b[" not in log
    config = next(line for line in log.splitlines() if "configuration" in line)
    assert "127.0.0.1:2525" in config and "sms.example" in config and "test_mode: true" in config
    assert "hunter2" not in log and "mailer" not in config


def test_the_agent_logs_its_configuration_and_credential_source(fresh_server, request):
    server = fresh_server()
    blog_setup(server)
    _, secret = server.root_credentials()
    token_file = server.data_dir.parent / "agent-token"
    token_file.write_text("hunter2-bearer-0123456789\n")
    agent = start_agent(request.addfinalizer, server, "--auth-token-file", str(token_file))
    log = agent.log_path.read_text()
    assert "\x1b[" not in log
    config = next(line for line in log.splitlines() if "configuration" in line)
    assert "lwa_endpoint" in config and "hunter2-bearer-0123456789" not in log
    source = next(line for line in log.splitlines() if "AWS credentials" in line)
    assert "ProfileFile" in source and secret not in log
