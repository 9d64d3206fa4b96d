"""Issue: IAM and STS with IAM enforcement. The seller guides' user / policy / role / AssumeRole
setup, run verbatim with the AWS CLI, then the rest of IAM through boto3."""
import csv
import io
import json
import re
import urllib.parse

import botocore.exceptions
import pytest

from conftest import ROOT, Server, sign_and_send

TESTDATA = ROOT / "testdata"

# The guide's policy, exactly as "Step 3. Create an IAM policy" shows it.
SELLING_PARTNER_POLICY = """{
"Version": "2012-10-17",
"Statement": [
{
"Effect": "Allow",
"Action": "execute-api:Invoke",
"Resource": "arn:aws:execute-api:*:*:*"
}
]
}
"""

# "Step 6. (Optional) Verify ...": the read-only IAM policy, verbatim.
READ_ONLY_POLICY = """{
"Version": "2012-10-17",
"Statement": [
{
"Effect": "Allow",
"Action": [
"iam:GenerateCredentialReport",
"iam:GenerateServiceLastAccessedDetails",
"iam:Get*",
"iam:List*",
"iam:SimulateCustomPolicy",
"iam:SimulatePrincipalPolicy"
],
"Resource": "*"
}
]
}
"""

UNIQUE_ID = re.compile(r"[A-Z2-7]{17}")


@pytest.fixture(scope="module")
def iam_server(workdir):
    """A server of this module's own: the tests create users and move the clock."""
    s = Server(workdir / "iam").start()
    yield s
    s.stop()


def account_of(server):
    return server.client("sts").get_caller_identity()["Account"]


def cli_env_for(server, key_id, secret, token=None):
    """The CLI's environment with these credentials instead of the spcred profile."""
    env = server.cli_env(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1")
    del env["AWS_PROFILE"]
    if token:
        env["AWS_SESSION_TOKEN"] = token
    return env


def cli_error(process):
    """(code, message) of a failed CLI call."""
    m = re.search(r"An error occurred \((\w+)\) when calling the \w+ operation: (.*)", process.stderr)
    assert m, process.stderr
    return m.group(1), m.group(2).strip()


def client_error(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return f"file://{path}"


def new_user(server, name, *policies, path=None):
    """A user with an access key and the given inline policies; returns (key id, secret)."""
    iam = server.client("iam")
    iam.create_user(UserName=name, **({"Path": path} if path else {}))
    for i, doc in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=json.dumps(doc))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def allow(action, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def test_the_guides_iam_setup_verbatim_and_enforced(iam_server, tmp_path):
    server = iam_server
    account = account_of(server)
    user_arn = f"arn:aws:iam::{account}:user/Bob"
    role_arn = f"arn:aws:iam::{account}:role/SellingPartnerRole"
    policy_arn = f"arn:aws:iam::{account}:policy/SellingPartnerAPI"

    # Step 2: the user and its access key.
    user = server.aws("iam", "create-user", "--user-name", "Bob")["User"]
    assert user["Arn"] == user_arn and user["Path"] == "/" and user["UserName"] == "Bob"
    assert user["UserId"].startswith("AIDA") and UNIQUE_ID.fullmatch(user["UserId"][4:])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["CreateDate"])
    key = server.aws("iam", "create-access-key", "--user-name", "Bob")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key["AccessKeyId"]) and len(key["SecretAccessKey"]) == 40
    assert key["Status"] == "Active" and key["UserName"] == "Bob"
    bob = cli_env_for(server, key["AccessKeyId"], key["SecretAccessKey"])
    assert server.aws("sts", "get-caller-identity", env=bob)["Arn"] == user_arn

    # Step 3: the SellingPartnerAPI policy, with the guide's JSON.
    policy = server.aws("iam", "create-policy", "--policy-name", "SellingPartnerAPI",
                        "--policy-document", write(tmp_path, "sp.json", SELLING_PARTNER_POLICY))["Policy"]
    assert policy["Arn"] == policy_arn and policy["DefaultVersionId"] == "v1"
    assert policy["PolicyId"].startswith("ANPA") and policy["AttachmentCount"] == 0 and policy["IsAttachable"]

    # Step 4: the role. "AWS account -> This account" trusts the account, which delegates to the
    # users' own permissions; then the SellingPartnerAPI policy goes on the role.
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
    role = server.aws("iam", "create-role", "--role-name", "SellingPartnerRole",
                      "--assume-role-policy-document", json.dumps(trust))["Role"]
    assert role["Arn"] == role_arn and role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == trust
    assert server.aws("iam", "attach-role-policy", "--role-name", "SellingPartnerRole",
                      "--policy-arn", policy_arn) is None

    # Without the STS policy of step 5, Bob may not assume the role.
    assume = ("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "sp-api")
    p = server.aws(*assume, env=bob, check=False)
    assert p.returncode != 0
    assert cli_error(p) == ("AccessDenied", f"User: {user_arn} is not authorized to perform: sts:AssumeRole "
                                            f"on resource: {role_arn}")

    # Step 5: the inline STS policy, as the console's visual editor writes it.
    sts_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "VisualEditor0", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}
    server.aws("iam", "put-user-policy", "--user-name", "Bob", "--policy-name", "ExamplePolicy",
               "--policy-document", json.dumps(sts_policy))
    session = server.aws(*assume, env=bob)
    creds = session["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"]) and creds["SessionToken"]
    assert session["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/SellingPartnerRole/sp-api"
    assert session["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:sp-api"
    as_role = cli_env_for(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    identity = server.aws("sts", "get-caller-identity", env=as_role)
    assert identity == {"UserId": f"{role['RoleId']}:sp-api", "Account": account,
                        "Arn": f"arn:aws:sts::{account}:assumed-role/SellingPartnerRole/sp-api"}

    # Bob cannot read IAM until step 6's read-only policy says so.
    p = server.aws("iam", "list-users", env=bob, check=False)
    assert cli_error(p) == ("AccessDenied", f"User: {user_arn} is not authorized to perform: iam:ListUsers "
                                            f"on resource: arn:aws:iam::{account}:user/")
    server.aws("iam", "put-user-policy", "--user-name", "Bob", "--policy-name", "PolicyNew",
               "--policy-document", write(tmp_path, "ro.json", READ_ONLY_POLICY))
    assert "Bob" in [u["UserName"] for u in server.aws("iam", "list-users", env=bob)["Users"]]

    # Step 6's verification commands, run by Bob as the guide does in CloudShell.
    got = server.aws("iam", "get-user-policy", "--user-name", "Bob", "--policy-name", "ExamplePolicy", env=bob)
    assert got == {"UserName": "Bob", "PolicyName": "ExamplePolicy", "PolicyDocument": sts_policy}
    assert server.aws("iam", "list-attached-user-policies", "--user-name", "Bob", env=bob) == {"AttachedPolicies": []}
    got = server.aws("iam", "get-policy", "--policy-arn", policy_arn, env=bob)["Policy"]
    assert {k: got[k] for k in ("PolicyName", "Arn", "Path", "DefaultVersionId", "AttachmentCount", "IsAttachable")} == {
        "PolicyName": "SellingPartnerAPI", "Arn": policy_arn, "Path": "/", "DefaultVersionId": "v1",
        "AttachmentCount": 1, "IsAttachable": True}
    version = server.aws("iam", "get-policy-version", "--policy-arn", policy_arn, "--version-id", "v1", env=bob)
    assert version["PolicyVersion"]["Document"] == json.loads(SELLING_PARTNER_POLICY)
    assert version["PolicyVersion"]["IsDefaultVersion"] is True and version["PolicyVersion"]["VersionId"] == "v1"

    # The simulator agrees: the role may call the Selling Partner API, Bob may not.
    invoke = ("--action-names", "execute-api:Invoke", "--resource-arns",
              f"arn:aws:execute-api:us-east-1:{account}:abc/*/GET/orders/v0/orders")
    result = server.aws("iam", "simulate-principal-policy", "--policy-source-arn", role_arn, *invoke)
    [r] = result["EvaluationResults"]
    assert r["EvalDecision"] == "allowed"
    assert r["MatchedStatements"] == [{"SourcePolicyId": "SellingPartnerAPI", "SourcePolicyType": "user-managed",
                                       "StartPosition": {"Line": 4, "Column": 2},
                                       "EndPosition": {"Line": 8, "Column": 2}}]
    result = server.aws("iam", "simulate-principal-policy", "--policy-source-arn", user_arn, *invoke)
    assert [r["EvalDecision"] for r in result["EvaluationResults"]] == ["implicitDeny"]

    # At most two access keys.
    second = server.aws("iam", "create-access-key", "--user-name", "Bob")["AccessKey"]
    p = server.aws("iam", "create-access-key", "--user-name", "Bob", check=False)
    assert cli_error(p) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")

    # An inactive key is refused; active again, it works.
    server.aws("iam", "update-access-key", "--user-name", "Bob", "--access-key-id", key["AccessKeyId"],
               "--status", "Inactive")
    p = server.aws("sts", "get-caller-identity", env=bob, check=False)
    assert cli_error(p) == ("InvalidClientTokenId", "The security token included in the request is invalid.")
    server.aws("iam", "update-access-key", "--user-name", "Bob", "--access-key-id", key["AccessKeyId"],
               "--status", "Active")
    assert server.aws("sts", "get-caller-identity", env=bob)["Arn"] == user_arn
    server.aws("iam", "delete-access-key", "--user-name", "Bob", "--access-key-id", second["AccessKeyId"])

    # The session ends after its hour on the server's clock.
    server.advance(seconds=3601)
    p = server.aws("sts", "get-caller-identity", env=as_role, check=False)
    assert cli_error(p) == ("ExpiredToken", "The security token included in the request is expired")


def test_policy_documents_are_url_encoded_on_the_wire(iam_server):
    iam = iam_server.client("iam")
    iam.create_user(UserName="wire-user")
    doc = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "acm:*", "Resource": "*"}]}'
    iam.put_user_policy(UserName="wire-user", PolicyName="enc", PolicyDocument=doc)
    r = sign_and_send(iam_server, "Action=GetUserPolicy&Version=2010-05-08&UserName=wire-user&PolicyName=enc",
                      service="iam")
    assert r.status_code == 200
    raw = re.search(r"<PolicyDocument>(.*)</PolicyDocument>", r.text).group(1)
    assert raw == urllib.parse.quote(doc, safe="-._~")
    assert "%2A" in raw and "%20" in raw
    # Documents come back as they were written, white space included.
    assert urllib.parse.unquote(raw) == doc


def test_a_user_the_trust_policy_does_not_name_is_denied(iam_server):
    server = iam_server
    account = account_of(server)
    iam = server.client("iam")
    named_id, named_secret = new_user(server, "trusted-dana")
    other_id, other_secret = new_user(server, "untrusted-carl", allow("sts:AssumeRole"))
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/trusted-dana"},
        "Action": "sts:AssumeRole"}]}
    role_arn = iam.create_role(RoleName="dana-only", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        server.client("sts", other_id, other_secret).assume_role(RoleArn=role_arn, RoleSessionName="xx")
    assert client_error(e) == ("AccessDenied", f"User: arn:aws:iam::{account}:user/untrusted-carl is not authorized "
                                               f"to perform: sts:AssumeRole on resource: {role_arn}")
    # A trust policy that names the user grants it directly: no identity policy is needed
    # (AssumeRole API reference, "assume a role in the same account").
    out = server.client("sts", named_id, named_secret).assume_role(RoleArn=role_arn, RoleSessionName="dd")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/dana-only/dd"
    # The root user may not assume roles at all; an unknown role is denied like a forbidden one.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="root")
    assert client_error(e) == ("AccessDenied", "Roles may not be assumed by root accounts.")
    missing = f"arn:aws:iam::{account}:role/no-such-role"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        server.client("sts", other_id, other_secret).assume_role(RoleArn=missing, RoleSessionName="xx")
    assert client_error(e)[0] == "AccessDenied" and missing in client_error(e)[1]
    # A trust policy may only name users and roles that exist.
    bad = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/ghost"}, "Action": "sts:AssumeRole"}]}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.update_assume_role_policy(RoleName="dana-only", PolicyDocument=json.dumps(bad))
    assert client_error(e) == ("MalformedPolicyDocument",
                               f'Invalid principal in policy: "AWS":"arn:aws:iam::{account}:user/ghost"')


def test_denials_are_audited_with_their_code(iam_server):
    key_id, secret = new_user(iam_server, "audited-ann")
    with pytest.raises(botocore.exceptions.ClientError):
        iam_server.client("iam", key_id, secret).list_roles()
    account = account_of(iam_server)
    records = iam_server.admin("GET", "/_spcred/audit", params={
        "principal": f"arn:aws:iam::{account}:user/audited-ann", "operation": "ListRoles"}).json()["records"]
    assert [(r["outcome"], r["error_code"]) for r in records] == [("Denied", "AccessDenied")]


def test_session_rules_duration_chaining_external_id_and_session_policies(iam_server):
    server = iam_server
    account = account_of(server)
    iam = server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "amzn-123"}}}]}
    role = iam.create_role(RoleName="ext-role", AssumeRolePolicyDocument=json.dumps(trust),
                           MaxSessionDuration=7200)["Role"]
    iam.put_role_policy(RoleName="ext-role", PolicyName="all-iam-read", PolicyDocument=json.dumps(
        allow(["iam:Get*", "iam:List*", "sts:AssumeRole"])))
    key_id, secret = new_user(server, "session-sam", allow("sts:AssumeRole"))
    sts = server.client("sts", key_id, secret)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss")
    assert client_error(e)[0] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss", ExternalId="amzn-123", DurationSeconds=7201)
    assert client_error(e) == ("ValidationError",
                               "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    c = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss", ExternalId="amzn-123",
                        DurationSeconds=7200)["Credentials"]
    as_role = server.client("sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    # Role chaining is limited to one hour.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        as_role.assume_role(RoleArn=role["Arn"], RoleSessionName="again", ExternalId="amzn-123", DurationSeconds=3700)
    assert client_error(e) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                                                  "for roles assumed by role chaining.")
    # Session policies intersect with the role's: this session may list users but not roles.
    narrowed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", ExternalId="amzn-123",
                               Policy=json.dumps(allow("iam:ListUsers")))
    assert 0 < narrowed["PackedPolicySize"] <= 100
    n = narrowed["Credentials"]
    narrow_iam = server.client("iam", n["AccessKeyId"], n["SecretAccessKey"], n["SessionToken"])
    narrow_iam.list_users()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        narrow_iam.list_roles()
    assert client_error(e) == ("AccessDenied", f"User: arn:aws:sts::{account}:assumed-role/ext-role/narrow is not "
                                               f"authorized to perform: iam:ListRoles on resource: "
                                               f"arn:aws:iam::{account}:role/")
    # A session policy IAM's grammar refuses.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bad", ExternalId="amzn-123",
                        Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*"}]}')
    assert client_error(e) == ("MalformedPolicyDocument", "Policy statement must contain resources.")
    # A wrong session token is an invalid token.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        server.client("sts", c["AccessKeyId"], c["SecretAccessKey"], "not-the-token").get_caller_identity()
    assert client_error(e)[0] == "InvalidClientTokenId"
    # The role remembers when it was last used.
    assert iam.get_role(RoleName="ext-role")["Role"]["RoleLastUsed"]["Region"] == "us-east-1"


def test_get_session_token_and_get_access_key_info(iam_server):
    server = iam_server
    account = account_of(server)
    key_id, secret = new_user(server, "token-tom", allow("iam:*"))
    c = server.client("sts", key_id, secret).get_session_token(DurationSeconds=900)["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    sts = server.client("sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:user/token-tom"
    # Without MFA these credentials cannot call IAM, nor ask for another session token.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        server.client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).list_users()
    assert client_error(e)[0] == "InvalidClientTokenId"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token()
    assert client_error(e) == ("AccessDenied", "Cannot call GetSessionToken with session credentials")
    root_sts = server.client("sts")
    assert root_sts.get_access_key_info(AccessKeyId=key_id)["Account"] == account
    assert root_sts.get_access_key_info(AccessKeyId=c["AccessKeyId"])["Account"] == account
    # A key that is not ours still names its account, as AWS's key ids do.
    assert root_sts.get_access_key_info(AccessKeyId="ASIAY34FZKBOKMUTVV7A")["Account"] == "609629065308"


def test_errors_and_messages(iam_server):
    iam = iam_server.client("iam")
    account = account_of(iam_server)

    def error(call, **kw):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call(**kw)
        return client_error(e) + (e.value.response["ResponseMetadata"]["HTTPStatusCode"],)

    assert error(iam.get_user, UserName="Nobody") == ("NoSuchEntity", "The user with name Nobody cannot be found.", 404)
    assert error(iam.get_role, RoleName="Nothing") == ("NoSuchEntity", "The role with name Nothing cannot be found.", 404)
    assert error(iam.get_group, GroupName="None") == ("NoSuchEntity", "The group with name None cannot be found.", 404)
    missing = f"arn:aws:iam::{account}:policy/Missing"
    assert error(iam.get_policy, PolicyArn=missing) == ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    assert error(iam.get_policy, PolicyArn="arn:aws:iam::123:policy/x")[:2] == (
        "InvalidInput", "ARN arn:aws:iam::123:policy/x is not valid.")
    iam.create_user(UserName="err-eve")
    assert error(iam.create_user, UserName="ERR-EVE") == (
        "EntityAlreadyExists", "User with name ERR-EVE already exists.", 409)
    assert error(iam.get_user_policy, UserName="err-eve", PolicyName="nope") == (
        "NoSuchEntity", "The user policy with name nope cannot be found.", 404)
    # Names follow IAM's rules (the model's pattern and length, in AWS's message format).
    code, message, status = error(iam.create_user, UserName="bad name!")
    assert (code, status) == ("ValidationError", 400) and "userName" in message and "[\\w+=,.@-]+" in message
    assert error(iam.create_user, UserName="x" * 65)[0] == "ValidationError"
    assert error(iam.create_user, UserName="pathy", Path="no-slashes")[0] == "ValidationError"
    # Deleting needs everything removed first, one thing at a time.
    key = iam.create_access_key(UserName="err-eve")["AccessKey"]["AccessKeyId"]
    assert error(iam.delete_user, UserName="err-eve") == (
        "DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
    iam.delete_access_key(UserName="err-eve", AccessKeyId=key)
    iam.put_user_policy(UserName="err-eve", PolicyName="p", PolicyDocument=json.dumps(allow("s3:*")))
    assert error(iam.delete_user, UserName="err-eve")[1] == "Cannot delete entity, must delete policies first."
    iam.delete_user_policy(UserName="err-eve", PolicyName="p")
    iam.attach_user_policy(UserName="err-eve", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert error(iam.delete_user, UserName="err-eve")[1] == "Cannot delete entity, must detach all policies first."
    iam.detach_user_policy(UserName="err-eve", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert error(iam.detach_user_policy, UserName="err-eve", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess") == (
        "NoSuchEntity", "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found.", 404)
    iam.delete_user(UserName="err-eve")
    assert error(iam.attach_user_policy, UserName="Nobody", PolicyArn=missing)[0] == "NoSuchEntity"
    # Keys of other users are not found.
    assert error(iam.update_access_key, UserName="Bob", AccessKeyId="AKIAAAAAAAAAAAAAAAAA", Status="Inactive") == (
        "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.", 404)


def test_malformed_policy_documents_have_iams_messages(iam_server):
    iam = iam_server.client("iam")
    cases = json.loads((TESTDATA / "iam" / "moto" / "policy-document-validation.json").read_text())
    invalid = cases["invalid_policy_document_test_cases"]
    assert len(invalid) == 78
    for i, case in enumerate(invalid):
        doc = case["document"] if isinstance(case["document"], str) else json.dumps(case["document"])
        with pytest.raises(botocore.exceptions.ClientError) as e:
            iam.create_policy(PolicyName=f"bad{i}", PolicyDocument=doc)
        assert client_error(e) == ("MalformedPolicyDocument", case["error_message"]), doc
    # The same grammar guards inline policies.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.put_user_policy(UserName="Bob", PolicyName="bad", PolicyDocument=json.dumps(invalid[1]["document"]))
    assert client_error(e) == ("MalformedPolicyDocument", invalid[1]["error_message"])
    big = allow([f"s3:Action{i:05}" for i in range(500)])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_policy(PolicyName="too-big", PolicyDocument=json.dumps(big))
    assert client_error(e) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")


def test_pagination_with_marker_and_max_items(iam_server):
    iam = iam_server.client("iam")
    names = [f"page-{i:02}" for i in range(7)]
    for n in names:
        iam.create_user(UserName=n, Path="/paged/")
    first = iam.list_users(PathPrefix="/paged/", MaxItems=3)
    assert [u["UserName"] for u in first["Users"]] == names[:3]
    assert first["IsTruncated"] is True and first["Marker"]
    second = iam.list_users(PathPrefix="/paged/", MaxItems=3, Marker=first["Marker"])
    assert [u["UserName"] for u in second["Users"]] == names[3:6]
    last = iam.list_users(PathPrefix="/paged/", MaxItems=3, Marker=second["Marker"])
    assert [u["UserName"] for u in last["Users"]] == names[6:] and last["IsTruncated"] is False
    assert "Marker" not in last
    pages = iam.get_paginator("list_users").paginate(PathPrefix="/paged/", PaginationConfig={"PageSize": 2})
    assert [u["UserName"] for p in pages for u in p["Users"]] == names
    assert all(u["Arn"].endswith(f":user/paged/{u['UserName']}") for u in first["Users"])


def test_groups_grant_their_members(iam_server):
    iam = iam_server.client("iam")
    account = account_of(iam_server)
    key_id, secret = new_user(iam_server, "grouped-gus")
    gus = iam_server.client("iam", key_id, secret)
    with pytest.raises(botocore.exceptions.ClientError):
        gus.list_groups()
    group = iam.create_group(GroupName="readers", Path="/team/")["Group"]
    assert group["Arn"] == f"arn:aws:iam::{account}:group/team/readers" and group["GroupId"].startswith("AGPA")
    iam.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.add_user_to_group(GroupName="readers", UserName="grouped-gus")
    assert [g["GroupName"] for g in gus.list_groups()["Groups"]] == ["readers"]
    assert [g["GroupName"] for g in gus.list_groups_for_user(UserName="grouped-gus")["Groups"]] == ["readers"]
    assert [u["UserName"] for u in iam.get_group(GroupName="readers")["Users"]] == ["grouped-gus"]
    iam.put_group_policy(GroupName="readers", PolicyName="no-roles", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"}]}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        gus.list_roles()
    assert client_error(e)[0] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_group(GroupName="readers")
    assert client_error(e) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.")
    iam.remove_user_from_group(GroupName="readers", UserName="grouped-gus")
    with pytest.raises(botocore.exceptions.ClientError):
        gus.list_groups()
    iam.delete_group_policy(GroupName="readers", PolicyName="no-roles")
    iam.detach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.delete_group(GroupName="readers")


def test_policy_versions(iam_server):
    iam = iam_server.client("iam")
    key_id, secret = new_user(iam_server, "versioned-vic")
    vic = iam_server.client("iam", key_id, secret)
    arn = iam.create_policy(PolicyName="versioned", PolicyDocument=json.dumps(allow("iam:ListGroups")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="versioned-vic", PolicyArn=arn)
    vic.list_groups()
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("iam:ListRoles")),
                                   SetAsDefault=True)["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True
    vic.list_roles()
    with pytest.raises(botocore.exceptions.ClientError):
        vic.list_groups()
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("iam:ListUsers")))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("iam:ListUsers")))
    assert client_error(e) == ("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a "
                                                "new version, you must delete an existing version.")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in versions] == [False, False, False, True, False]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert client_error(e) == ("DeleteConflict", "Cannot delete the default version of a policy.")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    vic.list_groups()
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_policy_version(PolicyArn=arn, VersionId="v9")
    assert client_error(e) == ("NoSuchEntity", f"Policy {arn} version v9 does not exist or is not attachable.")
    iam.detach_user_policy(UserName="versioned-vic", PolicyArn=arn)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert client_error(e)[0] == "DeleteConflict" and "more than one version" in client_error(e)[1]
    for v in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    # The new v1-only policy is gone, and its name is free again.
    iam.create_policy(PolicyName="versioned", PolicyDocument=json.dumps(allow("iam:ListGroups")))


def test_attached_policy_quota_and_aws_managed_policies(iam_server):
    iam = iam_server.client("iam")
    account = account_of(iam_server)
    iam.create_user(UserName="quota-quinn")
    aws_policies = iam.list_policies(Scope="AWS")["Policies"]
    names = {p["PolicyName"] for p in aws_policies}
    assert {"AdministratorAccess", "ReadOnlyAccess", "IAMReadOnlyAccess", "IAMFullAccess", "PowerUserAccess",
            "AmazonSSMReadOnlyAccess"} <= names
    assert all(p["Arn"] == f"arn:aws:iam::aws:policy/{p['PolicyName']}" for p in aws_policies)
    admin = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    assert admin["Description"] == "Provides full access to AWS services and resources."
    doc = iam.get_policy_version(PolicyArn=admin["Arn"], VersionId="v1")["PolicyVersion"]["Document"]
    assert doc["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    arns = [p["Arn"] for p in aws_policies][:10]
    for arn in arns:
        iam.attach_user_policy(UserName="quota-quinn", PolicyArn=arn)
    iam.attach_user_policy(UserName="quota-quinn", PolicyArn=arns[0])  # attaching again is no change
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.attach_user_policy(UserName="quota-quinn", PolicyArn=[p["Arn"] for p in aws_policies][10])
    assert client_error(e) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10")
    attached = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert {p["Arn"] for p in attached} >= set(arns) and all(p["AttachmentCount"] >= 1 for p in attached)
    entities = iam.list_entities_for_policy(PolicyArn=arns[0])["PolicyUsers"]
    assert {"UserName": "quota-quinn"} .items() <= next(u for u in entities if u["UserName"] == "quota-quinn").items()
    for arn in arns:
        iam.detach_user_policy(UserName="quota-quinn", PolicyArn=arn)
    # AWS managed policies are AWS's: nobody changes them, not even root.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert client_error(e) == ("AccessDenied", f"User: arn:aws:iam::{account}:root is not authorized to perform: "
                                               f"iam:DeletePolicy on resource: arn:aws:iam::aws:policy/AdministratorAccess")
    assert {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}.isdisjoint(names)


def test_tags_on_users_roles_and_policies(iam_server):
    iam = iam_server.client("iam")
    user = iam.create_user(UserName="tagged-tia", Tags=[{"Key": "team", "Value": "sp-api"}])["User"]
    assert user["Tags"] == [{"Key": "team", "Value": "sp-api"}]
    iam.tag_user(UserName="tagged-tia", Tags=[{"Key": "env", "Value": "prod"}, {"Key": "TEAM", "Value": "ops"}])
    # Keys are case-insensitive: TEAM changed team's value; listings are by key.
    assert iam.list_user_tags(UserName="tagged-tia")["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ops"}]
    assert iam.get_user(UserName="tagged-tia")["User"]["Tags"][0] == {"Key": "team", "Value": "ops"}
    iam.untag_user(UserName="tagged-tia", TagKeys=["ENV"])
    assert iam.list_user_tags(UserName="tagged-tia")["Tags"] == [{"Key": "team", "Value": "ops"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.tag_user(UserName="tagged-tia", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert client_error(e) == ("InvalidInput",
                               "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="tagged-role", AssumeRolePolicyDocument=json.dumps(trust),
                    Tags=[{"Key": "owner", "Value": "tia"}])
    iam.tag_role(RoleName="tagged-role", Tags=[{"Key": "cost", "Value": "1"}])
    assert [t["Key"] for t in iam.list_role_tags(RoleName="tagged-role")["Tags"]] == ["cost", "owner"]
    iam.untag_role(RoleName="tagged-role", TagKeys=["owner"])
    assert iam.get_role(RoleName="tagged-role")["Role"]["Tags"] == [{"Key": "cost", "Value": "1"}]
    arn = iam.create_policy(PolicyName="tagged-policy", PolicyDocument=json.dumps(allow("s3:*")),
                            Tags=[{"Key": "k", "Value": "v"}])["Policy"]["Arn"]
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    # Principal tags and resource tags are condition keys: ${aws:PrincipalTag/team} matches.
    key_id, secret = new_user(iam_server, "tag-cond-ted", {
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]})
    iam.tag_user(UserName="tag-cond-ted", Tags=[{"Key": "team", "Value": "ops"}])
    ted = iam_server.client("iam", key_id, secret)
    assert ted.get_user(UserName="tagged-tia")["User"]["UserName"] == "tagged-tia"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ted.get_user(UserName="Bob")
    assert client_error(e)[0] == "AccessDenied"


def test_access_key_last_used_and_listing(iam_server):
    iam = iam_server.client("iam")
    key_id, secret = new_user(iam_server, "used-uma")
    unused = iam.get_access_key_last_used(AccessKeyId=key_id)
    assert unused["UserName"] == "used-uma"
    assert unused["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    iam_server.client("sts", key_id, secret, region="eu-west-1").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("sts", "eu-west-1") and used["LastUsedDate"]
    listed = iam.list_access_keys(UserName="used-uma")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed] == [(key_id, "Active", "used-uma")]
    # Without UserName, a user's key operations are about itself, and need its own permission.
    uma = iam_server.client("iam", key_id, secret)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        uma.list_access_keys()
    assert client_error(e)[1].endswith(f"iam:ListAccessKeys on resource: "
                                       f"arn:aws:iam::{account_of(iam_server)}:user/used-uma")
    iam.put_user_policy(UserName="used-uma", PolicyName="own-keys", PolicyDocument=json.dumps(
        allow(["iam:ListAccessKeys", "iam:GetUser"], "arn:aws:iam::*:user/${aws:username}")))
    assert [k["AccessKeyId"] for k in uma.list_access_keys()["AccessKeyMetadata"]] == [key_id]
    assert uma.get_user()["User"]["UserName"] == "used-uma"


def test_credential_report(iam_server):
    iam = iam_server.client("iam")
    account = account_of(iam_server)
    key_id, _ = new_user(iam_server, "report-rae")
    iam_server.advance(seconds=4 * 3600 + 1)  # any earlier report is past its four hours
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_credential_report()
    assert client_error(e)[0] in ("ReportNotPresent", "ReportExpired")
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert list(rows[0].keys()) == [
        "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
        "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
        "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
        "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
        "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
        "cert_2_active", "cert_2_last_rotated"]
    assert rows[0]["user"] == "<root_account>" and rows[0]["arn"] == f"arn:aws:iam::{account}:root"
    rae = next(r for r in rows if r["user"] == "report-rae")
    assert rae["arn"] == f"arn:aws:iam::{account}:user/report-rae"
    assert rae["access_key_1_active"] == "true" and rae["access_key_2_active"] == "false"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", rae["access_key_1_last_rotated"])
    assert rae["access_key_1_last_used_date"] == "N/A" and rae["password_enabled"] == "false"
    iam_server.advance(seconds=4 * 3600)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_credential_report()
    assert client_error(e)[0] == "ReportExpired" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_account_authorization_details(iam_server):
    iam = iam_server.client("iam")
    iam.create_user(UserName="detail-dee")
    iam.put_user_policy(UserName="detail-dee", PolicyName="inline", PolicyDocument=json.dumps(allow("sqs:*")))
    iam.attach_user_policy(UserName="detail-dee", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess")
    details = iam.get_account_authorization_details()
    dee = next(u for u in details["UserDetailList"] if u["UserName"] == "detail-dee")
    assert dee["UserPolicyList"] == [{"PolicyName": "inline", "PolicyDocument": allow("sqs:*")}]
    assert dee["AttachedManagedPolicies"] == [{"PolicyName": "AmazonSQSReadOnlyAccess",
                                               "PolicyArn": "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"}]
    role = next(r for r in details["RoleDetailList"] if r["RoleName"] == "SellingPartnerRole")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"
    sp = next(p for p in details["Policies"] if p["PolicyName"] == "SellingPartnerAPI")
    assert sp["PolicyVersionList"][0]["Document"] == json.loads(SELLING_PARTNER_POLICY)
    assert any(p["PolicyName"] == "AmazonSQSReadOnlyAccess" for p in details["Policies"])
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["RoleDetailList"] and not only_roles["UserDetailList"] and not only_roles["Policies"]
    pages = iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 2})
    users = [u["UserName"] for p in pages for u in p["UserDetailList"]]
    assert users == [u["UserName"] for u in details["UserDetailList"]] and "detail-dee" in users


def test_simulate_with_context_entries(iam_server):
    iam = iam_server.client("iam")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "FromOffice", "Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]})
    base = dict(PolicyInputList=[policy], ActionNames=["execute-api:Invoke"])
    [missing] = iam.simulate_custom_policy(**base)["EvaluationResults"]
    assert missing["EvalDecision"] == "implicitDeny" and missing["MissingContextValues"] == ["aws:SourceIp"]
    inside = iam.simulate_custom_policy(**base, ContextEntries=[
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.7"], "ContextKeyType": "ip"}])
    [r] = inside["EvaluationResults"]
    assert r["EvalDecision"] == "allowed" and r["MissingContextValues"] == []
    # Positions are just after the statement's braces, 1-based.
    start, end = policy.index("[{") + 3, policy.rindex("}]") + 2
    assert r["MatchedStatements"] == [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none",
                                       "StartPosition": {"Line": 1, "Column": start},
                                       "EndPosition": {"Line": 1, "Column": end}}]
    outside = iam.simulate_custom_policy(**base, ContextEntries=[
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["198.51.100.1"], "ContextKeyType": "ip"}])
    assert outside["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "execute-api:*", "Resource": "*"}]})
    denied = iam.simulate_custom_policy(PolicyInputList=[policy, deny], ActionNames=["execute-api:Invoke"])
    assert denied["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"
    assert denied["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.2"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_custom_policy(**base, ContextEntries=[
            {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["not-an-ip"], "ContextKeyType": "ip"}])
    assert client_error(e)[0] == "InvalidInput"
    assert iam.get_context_keys_for_custom_policy(PolicyInputList=[policy])["ContextKeyNames"] == ["aws:SourceIp"]
    many = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["a:B", "c:D", "e:F"], MaxItems=2)
    assert len(many["EvaluationResults"]) == 2 and many["IsTruncated"]
    rest = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["a:B", "c:D", "e:F"],
                                      Marker=many["Marker"])
    assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == ["e:F"]


def test_service_last_accessed_details_from_the_audit_log(iam_server, tmp_path):
    """Step 6's policy allows GenerateServiceLastAccessedDetails: the report says which of the
    services a principal's policies allow it has used, when, from where, and through whom."""
    server = iam_server
    account = account_of(server)
    key, secret = new_user(server, "Auditor", json.loads(READ_ONLY_POLICY),
                           allow(["ssm:GetParameter", "sqs:ListQueues"]))
    auditor = cli_env_for(server, key, secret)
    user_arn = f"arn:aws:iam::{account}:user/Auditor"

    # Used: IAM twice (ListUsers, GetUser), SQS in eu-west-1; SSM is allowed but never used.
    server.aws("iam", "list-users", env=auditor)
    server.aws("iam", "get-user", env=auditor)
    server.aws("sqs", "list-queues", "--region", "eu-west-1", env=auditor)

    job = server.aws("iam", "generate-service-last-accessed-details", "--arn", user_arn, env=auditor)["JobId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", job)
    report = server.aws("iam", "get-service-last-accessed-details", "--job-id", job, env=auditor)
    assert report["JobStatus"] == "COMPLETED" and report["JobType"] == "SERVICE_LEVEL"
    assert report["IsTruncated"] is False
    by_ns = {s["ServiceNamespace"]: s for s in report["ServicesLastAccessed"]}
    assert sorted(by_ns) == ["iam", "sqs", "ssm"]
    assert by_ns["iam"]["ServiceName"] == "AWS Identity and Access Management"
    assert by_ns["iam"]["LastAuthenticatedEntity"] == user_arn
    assert by_ns["iam"]["LastAuthenticatedRegion"] == "us-east-1"
    assert by_ns["iam"]["TotalAuthenticatedEntities"] == 1
    assert "TrackedActionsLastAccessed" not in by_ns["iam"]
    assert by_ns["sqs"]["LastAuthenticatedRegion"] == "eu-west-1"
    assert by_ns["ssm"]["TotalAuthenticatedEntities"] == 0 and "LastAuthenticated" not in by_ns["ssm"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", by_ns["iam"]["LastAuthenticated"])

    # ACTION_LEVEL names the IAM actions used; pages follow Marker and MaxItems.
    job = server.aws("iam", "generate-service-last-accessed-details", "--arn", user_arn,
                     "--granularity", "ACTION_LEVEL")["JobId"]
    first = server.client("iam").get_service_last_accessed_details(JobId=job, MaxItems=2)
    assert first["JobType"] == "ACTION_LEVEL" and first["IsTruncated"] is True
    assert [s["ServiceNamespace"] for s in first["ServicesLastAccessed"]] == ["iam", "sqs"]
    actions = {a["ActionName"]: a for a in first["ServicesLastAccessed"][0]["TrackedActionsLastAccessed"]}
    # The report generated just now is an IAM action too.
    assert {"ListUsers", "GetUser", "GenerateServiceLastAccessedDetails"} <= set(actions)
    assert actions["ListUsers"]["LastAccessedEntity"] == user_arn
    rest = server.client("iam").get_service_last_accessed_details(JobId=job, Marker=first["Marker"])
    assert [s["ServiceNamespace"] for s in rest["ServicesLastAccessed"]] == ["ssm"] and not rest["IsTruncated"]

    # A role's report counts its sessions as the role; a managed policy's, the roles using it.
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
    iam = server.client("iam")
    role_arn = iam.create_role(RoleName="Advised", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy_arn = iam.create_policy(PolicyName="AdvisedKms",
                                   PolicyDocument=json.dumps(allow(["kms:ListKeys", "sts:*"])))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="Advised", PolicyArn=policy_arn)
    server.aws("iam", "put-user-policy", "--user-name", "Auditor", "--policy-name", "assume",
               "--policy-document", json.dumps(allow("sts:AssumeRole", role_arn)))
    creds = server.aws("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "s1",
                       env=auditor)["Credentials"]
    as_role = cli_env_for(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    server.aws("kms", "list-keys", env=as_role)
    for arn in (role_arn, policy_arn):
        job = server.aws("iam", "generate-service-last-accessed-details", "--arn", arn)["JobId"]
        services = server.aws("iam", "get-service-last-accessed-details", "--job-id", job)["ServicesLastAccessed"]
        assert [s["ServiceNamespace"] for s in services] == ["kms", "sts"]
        assert services[0]["LastAuthenticatedEntity"] == role_arn
        assert services[0]["TotalAuthenticatedEntities"] == 1

    # IAM's errors: an unknown entity, a malformed ARN, an unknown job.
    p = server.aws("iam", "generate-service-last-accessed-details", "--arn",
                   f"arn:aws:iam::{account}:user/Nobody", check=False)
    assert cli_error(p) == ("NoSuchEntity", "The user with name Nobody cannot be found.")
    p = server.aws("iam", "generate-service-last-accessed-details", "--arn", "arn:aws:s3:::seller-reports", check=False)
    assert cli_error(p) == ("InvalidInput", "ARN arn:aws:s3:::seller-reports is not valid.")
    p = server.aws("iam", "get-service-last-accessed-details", "--job-id", "00000000-0000-4000-8000-000000000000",
                   check=False)
    assert cli_error(p)[0] == "NoSuchEntity"
    # Without the permission, the caller is refused like any IAM call.
    nokey, nosecret = new_user(server, "Unadvised")
    p = server.aws("iam", "generate-service-last-accessed-details", "--arn", user_arn,
                   env=cli_env_for(server, nokey, nosecret), check=False)
    assert cli_error(p) == ("AccessDenied", f"User: arn:aws:iam::{account}:user/Unadvised is not authorized to "
                                            f"perform: iam:GenerateServiceLastAccessedDetails on resource: {user_arn}")
