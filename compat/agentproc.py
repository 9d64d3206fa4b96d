"""Runs `spcred agent` beside a `spcred serve --test-mode`: the LWA credentials go into the server's
SSM Parameter Store with the AWS CLI (the rotation blog's names), the agent reads them through the
standard AWS credential chain and AWS_ENDPOINT_URL, and talks to the server's SP-API sandbox."""
import os
import signal
import subprocess
import time

import requests

from conftest import BIN, Server, free_port
from spapi import Sandbox

PREFIX = "/my-erp"
SECRET_PARAM = f"{PREFIX}/lwa/clientsecret"


def put(server, name, value, kind="SecureString"):
    return server.aws("ssm", "put-parameter", "--name", name, "--value", value, "--type", kind, "--overwrite")


def sp_metric(server, grant="refresh_token", outcome="success"):
    """The sandbox's count of LWA token requests (its /metrics)."""
    text = requests.get(f"{server.endpoint}/metrics", timeout=10).text
    needle = f'spcred_lwa_token_requests_total{{grant_type="{grant}",outcome="{outcome}"}} '
    for line in text.splitlines():
        if line.startswith(needle):
            return int(float(line[len(needle):]))
    return 0


class Agent:
    def __init__(self, server, *args, env=None):
        self.server = server
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.log_path = server.data_dir.parent / f"{server.data_dir.name}-agent-{self.port}.log"
        self.proc = None

    def start(self, wait=True):
        env = self.server.cli_env(AWS_ENDPOINT_URL=self.server.endpoint, AWS_REGION="us-east-1")
        env = {k: v for k, v in env.items() if not k.startswith("SPCRED_")}
        env.setdefault("RUST_LOG", "info,spcred_agent=debug")
        env.update(self.extra_env)
        cmd = [BIN, "agent", "--listen", f"127.0.0.1:{self.port}", "--sp-endpoint", self.server.endpoint,
               "--lwa-endpoint", f"{self.server.endpoint}/auth/o2/token", "--reload-seconds", "1", *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "ab"), env=env)
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"spcred agent exited with {self.proc.returncode}:\n{self.log()}")
            try:
                requests.get(f"{self.url}/health", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"spcred agent did not answer in {timeout} s:\n{self.log()}")

    # A process of its own, stopped and read like the server.
    log = Server.log
    kill9 = Server.kill9
    stop = Server.stop

    def get(self, path, **kw):
        return requests.get(f"{self.url}{path}", timeout=kw.pop("timeout", 60), **kw)

    def request(self, method, path, **kw):
        return requests.request(method, f"{self.url}{path}", timeout=kw.pop("timeout", 60), **kw)

    def metric(self, name, **labels):
        text = self.get("/metrics").text
        total = 0
        for line in text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += int(line.rsplit(" ", 1)[1])
        return total


def blog_setup(server, sellers=1, rate_scale=None, roles=None):
    """Developer, app, sellers, their authorizations, and the blog's parameters in SSM: the first
    seller's refresh token in /my-erp/refreshToken, every seller's in /my-erp/sellers/<id>/refreshToken."""
    sb = Sandbox(server)
    sb.developer()
    app = sb.app(**({"roles": roles} if roles else {}))
    client_id, secret = app["lwaCredentials"]["clientId"], app["clientSecret"]
    ids = []
    for i in range(sellers):
        seller = sb.seller(name=f"Store {i}", rate_scale=rate_scale)
        refresh = sb.authorize(app["applicationId"], seller)
        put(server, f"{PREFIX}/sellers/{seller}/refreshToken", refresh)
        if i == 0:
            put(server, f"{PREFIX}/refreshToken", refresh)
        ids.append(seller)
    put(server, f"{PREFIX}/lwa/clientidentifier", client_id, kind="String")
    put(server, SECRET_PARAM, secret)
    return sb, app, ids


def start_agent(request_finalizer, server, *args, env=None):
    agent = Agent(server, *args, env=env).start()
    request_finalizer(agent.stop)
    return agent


def env_without_spcred():
    return {k: v for k, v in os.environ.items() if not k.startswith("SPCRED_")}
