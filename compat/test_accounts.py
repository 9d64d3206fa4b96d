"""Issue: more than one AWS account per store. `spcred account create` makes another account, a
role trusting it ("Another AWS account" in the seller guides) is assumed across accounts with
both sides' permissions, and AWS Organizations' service control policies bound every principal
of a member account ("your organization level policy must allow access")."""
import json
import os
import re
import subprocess

import pytest

from conftest import BIN, Server
from test_iam import cli_env_for, cli_error


@pytest.fixture(scope="module")
def server(workdir):
    s = Server(workdir / "accounts").start()
    yield s
    s.stop()


def spcred_account(server, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPCRED_")}
    cmd = [BIN, "account", *args, "--endpoint", server.endpoint, "--data-dir", str(server.data_dir)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    if not check:
        return p
    assert p.returncode == 0, p.stderr
    return p.stdout


def new_account(server, name, email=None):
    args = ["create", "--name", name, "--json"] + (["--email", email] if email else [])
    created = json.loads(spcred_account(server, *args))
    return created, cli_env_for(server, created["access_key_id"], created["secret_access_key"])


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})


def allow(action, resource="*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action,
                                                               "Resource": resource}]})


def test_another_aws_account_assumes_a_role_with_both_accounts_permission(server):
    main = server.aws("sts", "get-caller-identity")["Account"]
    partner, partner_root = new_account(server, "Partner ERP", "ops@partner.example")
    other = partner["account_id"]
    assert re.fullmatch(r"\d{12}", other) and other != main
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", partner["access_key_id"])
    assert server.aws("sts", "get-caller-identity", env=partner_root)["Arn"] == f"arn:aws:iam::{other}:root"
    # The key carries its account, as AWS's do.
    info = server.aws("sts", "get-access-key-info", "--access-key-id", partner["access_key_id"])
    assert info["Account"] == other

    # The accounts are apart: each lists only its own users.
    server.aws("iam", "create-user", "--user-name", "erp", env=partner_root)
    assert [u["UserName"] for u in server.aws("iam", "list-users", env=partner_root)["Users"]] == ["erp"]
    assert "erp" not in [u["UserName"] for u in server.aws("iam", "list-users")["Users"]]

    # Step 4 with "AWS account: Another AWS account": the role trusts the partner account.
    role_arn = server.aws("iam", "create-role", "--role-name", "PartnerSellingPartnerRole",
                          "--assume-role-policy-document", trust(f"arn:aws:iam::{other}:root"))["Role"]["Arn"]
    key = server.aws("iam", "create-access-key", "--user-name", "erp", env=partner_root)["AccessKey"]
    erp = cli_env_for(server, key["AccessKeyId"], key["SecretAccessKey"])
    assume = ("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "erp")
    # The trust lets the partner account in, but its own policies must allow the call too.
    p = server.aws(*assume, env=erp, check=False)
    assert cli_error(p) == ("AccessDenied", f"User: arn:aws:iam::{other}:user/erp is not authorized to perform: "
                                            f"sts:AssumeRole on resource: {role_arn}")
    server.aws("iam", "put-user-policy", "--user-name", "erp", "--policy-name", "assume",
               "--policy-document", allow("sts:AssumeRole", role_arn), env=partner_root)
    session = server.aws(*assume, env=erp)
    assert session["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{main}:assumed-role/PartnerSellingPartnerRole/erp"
    creds = session["Credentials"]
    as_role = cli_env_for(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert server.aws("sts", "get-caller-identity", env=as_role)["Account"] == main
    assert server.aws("sts", "get-access-key-info", "--access-key-id", creds["AccessKeyId"])["Account"] == main

    # A role whose trust names only this account stays closed to the partner, whatever it allows itself.
    own_arn = server.aws("iam", "create-role", "--role-name", "InternalOnly",
                         "--assume-role-policy-document", trust(f"arn:aws:iam::{main}:root"))["Role"]["Arn"]
    server.aws("iam", "put-user-policy", "--user-name", "erp", "--policy-name", "any",
               "--policy-document", allow("sts:AssumeRole"), env=partner_root)
    p = server.aws("sts", "assume-role", "--role-arn", own_arn, "--role-session-name", "erp", env=erp, check=False)
    assert cli_error(p)[0] == "AccessDenied"

    # The CLI lists both accounts, and refuses a taken id or email.
    listing = json.loads(spcred_account(server, "list", "--json"))["accounts"]
    assert [a["account_id"] for a in listing][:2] == [main, other]
    assert listing[1]["name"] == "Partner ERP" and listing[1]["email"] == "ops@partner.example"
    p = spcred_account(server, "create", "--account-id", other, check=False)
    assert p.returncode != 0 and f"account {other} already exists" in p.stderr
    p = spcred_account(server, "create", "--email", "OPS@partner.example", check=False)
    assert p.returncode != 0 and "already exists" in p.stderr
    p = spcred_account(server, "create", "--account-id", "12345", check=False)
    assert p.returncode != 0 and "12 digits" in p.stderr
    # Creating an account is audited, without its secret.
    records = server.admin("GET", "/_spcred/audit", params={"operation": "CreateAccount"}).json()["records"]
    assert records and partner["secret_access_key"] not in json.dumps(records)


def test_service_control_policies_bound_member_accounts(server, tmp_path):
    # A management account of its own, so this test's organization starts empty.
    mgmt, root = new_account(server, "Management", "mgmt@acme.example")
    org = server.aws("organizations", "create-organization", "--feature-set", "ALL", env=root)["Organization"]
    assert re.fullmatch(r"o-[a-z0-9]{10}", org["Id"]) and org["MasterAccountId"] == mgmt["account_id"]
    assert org["Arn"] == f"arn:aws:organizations::{mgmt['account_id']}:organization/{org['Id']}"
    p = server.aws("organizations", "create-organization", env=root, check=False)
    assert cli_error(p)[0] == "AlreadyInOrganizationException"
    [root_node] = server.aws("organizations", "list-roots", env=root)["Roots"]
    assert re.fullmatch(r"r-[a-z0-9]{4}", root_node["Id"]) and root_node["PolicyTypes"] == []

    # A member account, made by the organization with the role the management account assumes.
    status = server.aws("organizations", "create-account", "--email", "sellers@acme.example",
                        "--account-name", "Sellers", env=root)["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED" and re.fullmatch(r"car-[a-z0-9]{32}", status["Id"])
    member = status["AccountId"]
    again = server.aws("organizations", "describe-create-account-status", "--create-account-request-id",
                       status["Id"], env=root)["CreateAccountStatus"]
    assert again["AccountId"] == member
    dup = server.aws("organizations", "create-account", "--email", "sellers@acme.example",
                     "--account-name", "Again", env=root)["CreateAccountStatus"]
    assert dup["State"] == "FAILED" and dup["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    accounts = server.aws("organizations", "list-accounts", env=root)["Accounts"]
    assert {a["Id"]: a["JoinedMethod"] for a in accounts} == {mgmt["account_id"]: "CREATED", member: "CREATED"}
    # Roles are not for root: an operator of the management account assumes the access role.
    server.aws("iam", "create-user", "--user-name", "ops", env=root)
    server.aws("iam", "put-user-policy", "--user-name", "ops", "--policy-name", "assume",
               "--policy-document", allow("sts:AssumeRole"), env=root)
    key = server.aws("iam", "create-access-key", "--user-name", "ops", env=root)["AccessKey"]
    ops = cli_env_for(server, key["AccessKeyId"], key["SecretAccessKey"])
    creds = server.aws("sts", "assume-role", "--role-arn", f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                       "--role-session-name", "admin", env=ops)["Credentials"]
    admin = cli_env_for(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert server.aws("sts", "get-caller-identity", env=admin)["Account"] == member
    server.aws("ssm", "put-parameter", "--name", "/sp/client-id", "--value", "amzn1.app", "--type", "String",
               env=admin)

    # The member sees its organization, but does not manage it.
    assert server.aws("organizations", "describe-organization", env=admin)["Organization"]["Id"] == org["Id"]
    p = server.aws("organizations", "list-accounts", env=admin, check=False)
    assert cli_error(p) == ("AccessDeniedException", "You don't have permissions to access this resource.")

    # An OU for seller accounts; the account moves into it.
    ou = server.aws("organizations", "create-organizational-unit", "--parent-id", root_node["Id"],
                    "--name", "Sellers", env=root)["OrganizationalUnit"]
    assert re.fullmatch(rf"ou-{root_node['Id'][2:]}-[a-z0-9]{{8}}", ou["Id"])
    server.aws("organizations", "move-account", "--account-id", member, "--source-parent-id", root_node["Id"],
               "--destination-parent-id", ou["Id"], env=root)
    assert server.aws("organizations", "list-parents", "--child-id", member, env=root)["Parents"] == [
        {"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"}]

    # SCPs on: FullAWSAccess everywhere, so nothing changes yet.
    p = server.aws("organizations", "create-policy", "--name", "x", "--description", "x", "--type",
                   "SERVICE_CONTROL_POLICY", "--content", allow("*"), env=root)
    deny_ssm = p["Policy"]["PolicySummary"]
    p = server.aws("organizations", "attach-policy", "--policy-id", deny_ssm["Id"], "--target-id", ou["Id"],
                   env=root, check=False)
    assert cli_error(p)[0] == "PolicyTypeNotEnabledException"
    enabled = server.aws("organizations", "enable-policy-type", "--root-id", root_node["Id"], "--policy-type",
                         "SERVICE_CONTROL_POLICY", env=root)["Root"]
    assert enabled["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
    on_member = server.aws("organizations", "list-policies-for-target", "--target-id", member, "--filter",
                           "SERVICE_CONTROL_POLICY", env=root)["Policies"]
    assert [p["Id"] for p in on_member] == ["p-FullAWSAccess"] and on_member[0]["AwsManaged"] is True
    get = ("ssm", "get-parameter", "--name", "/sp/client-id")
    assert server.aws(*get, env=admin)["Parameter"]["Value"] == "amzn1.app"

    # A deny on the OU binds the member's principals, even with AdministratorAccess.
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "NoParameterStore", "Effect": "Deny", "Action": "ssm:*", "Resource": "*"}]})
    server.aws("organizations", "update-policy", "--policy-id", deny_ssm["Id"], "--name", "DenySsm",
               "--content", doc, env=root)
    server.aws("organizations", "attach-policy", "--policy-id", deny_ssm["Id"], "--target-id", ou["Id"], env=root)
    p = server.aws(*get, env=admin, check=False)
    session_arn = f"arn:aws:sts::{member}:assumed-role/OrganizationAccountAccessRole/admin"
    resource = f"arn:aws:ssm:us-east-1:{member}:parameter/sp/client-id"
    assert cli_error(p) == ("AccessDeniedException", f"User: {session_arn} is not authorized to perform: "
                            f"ssm:GetParameter on resource: {resource} with an explicit deny in a service control policy")
    # Other services still work, and the management account is never bounded.
    assert server.aws("sts", "get-caller-identity", env=admin)["Account"] == member
    server.aws("ssm", "put-parameter", "--name", "/mgmt", "--value", "v", "--type", "String", env=root)

    # Without an allow at every level: detach the deny, swap the OU's FullAWSAccess for an allow
    # of SQS only; SSM is then implicitly denied.
    server.aws("organizations", "detach-policy", "--policy-id", deny_ssm["Id"], "--target-id", ou["Id"], env=root)
    sqs_only = server.aws("organizations", "create-policy", "--name", "SqsOnly", "--description", "queues",
                          "--type", "SERVICE_CONTROL_POLICY", "--content", allow("sqs:*"),
                          env=root)["Policy"]["PolicySummary"]
    server.aws("organizations", "attach-policy", "--policy-id", sqs_only["Id"], "--target-id", ou["Id"], env=root)
    server.aws("organizations", "detach-policy", "--policy-id", "p-FullAWSAccess", "--target-id", ou["Id"], env=root)
    p = server.aws(*get, env=admin, check=False)
    assert cli_error(p) == ("AccessDeniedException", f"User: {session_arn} is not authorized to perform: "
                            f"ssm:GetParameter on resource: {resource} because no service control policy allows "
                            f"the ssm:GetParameter action")
    server.aws("sqs", "list-queues", env=admin)
    p = server.aws("organizations", "detach-policy", "--policy-id", sqs_only["Id"], "--target-id", ou["Id"],
                   env=root, check=False)
    assert cli_error(p)[0] == "ConstraintViolationException"
    p = server.aws("organizations", "delete-policy", "--policy-id", sqs_only["Id"], env=root, check=False)
    assert cli_error(p)[0] == "PolicyInUseException"
    targets = server.aws("organizations", "list-targets-for-policy", "--policy-id", sqs_only["Id"], env=root)
    assert targets["Targets"] == [{"TargetId": ou["Id"], "Arn": ou["Arn"], "Name": "Sellers",
                                   "Type": "ORGANIZATIONAL_UNIT"}]

    # Disabling SCPs lifts every bound.
    server.aws("organizations", "disable-policy-type", "--root-id", root_node["Id"], "--policy-type",
               "SERVICE_CONTROL_POLICY", env=root)
    assert server.aws(*get, env=admin)["Parameter"]["Value"] == "amzn1.app"

    # Organizations' errors in its own shape.
    p = server.aws("organizations", "describe-account", "--account-id", "999999999999", env=root, check=False)
    assert cli_error(p) == ("AccountNotFoundException", "You specified an account that doesn't exist.")
    p = server.aws("organizations", "delete-organizational-unit", "--organizational-unit-id", ou["Id"],
                   env=root, check=False)
    assert cli_error(p)[0] == "OrganizationalUnitNotEmptyException"
    p = server.aws("organizations", "create-policy", "--name", "bad", "--description", "", "--type",
                   "SERVICE_CONTROL_POLICY", "--content", "{not json", env=root, check=False)
    assert cli_error(p)[0] == "MalformedPolicyDocumentException"
    p = server.aws("organizations", "delete-organization", env=root, check=False)
    assert cli_error(p)[0] == "OrganizationNotEmptyException"
    # An account outside any organization is told so.
    _, loner = new_account(server, "Loner")
    p = server.aws("organizations", "describe-organization", env=loner, check=False)
    assert cli_error(p) == ("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
