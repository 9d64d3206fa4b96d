"""Legacy IAM mode (`spcred serve --sp-require-sigv4`): the seller guides' IAM user Bob, the
SellingPartnerAPI policy and the role Bob assumes, SP-API calls SigV4-signed (service execute-api)
with botocore's signer, as the pre-2023 SDKs did."""
import json

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from spapi import MP, Sandbox, error

SP_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*"}]})


def signed(server, path, token, key_id, secret, session=None):
    req = AWSRequest(method="GET", url=f"{server.endpoint}{path}", headers={"x-amz-access-token": token})
    SigV4Auth(Credentials(key_id, secret, session), "execute-api", "us-east-1").add_auth(req)
    prepared = req.prepare()
    return requests.get(prepared.url, headers=dict(prepared.headers), timeout=30)


def guides_setup(server):
    """Steps 2 to 5 of 'Creating and configuring IAM policies and entities'."""
    iam = server.client("iam")
    account = server.client("sts").get_caller_identity()["Account"]
    bob = iam.create_user(UserName="bob")["User"]["Arn"]
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    policy = iam.create_policy(PolicyName="SellingPartnerAPI", PolicyDocument=SP_POLICY)["Policy"]["Arn"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="SellingPartnerAPIRole", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.attach_role_policy(RoleName="SellingPartnerAPIRole", PolicyArn=policy)
    iam.put_user_policy(UserName="bob", PolicyName="AssumeSellingPartnerAPIRole", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]}))
    return iam, bob, (key["AccessKeyId"], key["SecretAccessKey"]), policy, role


def test_the_guides_role_signs_calls_that_succeed_until_the_policy_goes(fresh_server):
    server = fresh_server(extra_args=["--sp-require-sigv4"])
    iam, bob, bob_key, policy, role = guides_setup(server)
    sb = Sandbox(server)
    sb.developer()
    app = sb.app(iam_arn=role)
    seller = sb.seller()
    refresh = sb.authorize(app["applicationId"], seller)
    token = sb.access_token(app["lwaCredentials"]["clientId"], app["clientSecret"], refresh)

    r = sb.call("GET", MP, token)
    assert r.status_code == 403 and error(r)[0] == "MissingAuthenticationToken"

    creds = server.client("sts", *bob_key).assume_role(RoleArn=role, RoleSessionName="sp-api")["Credentials"]
    session = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    r = signed(server, MP, token, *session)
    assert r.status_code == 200, r.text
    assert r.json()["payload"][0]["marketplace"]["id"] == "ATVPDKIKX0DER"

    # Bob's own keys are not the registered role.
    r = signed(server, MP, token, *bob_key)
    assert r.status_code == 403 and "registered IAM ARN" in error(r)[2], r.text
    r = signed(server, MP, token, session[0], "wrong-secret", session[2])
    assert r.status_code == 403 and error(r)[0] == "InvalidSignature"

    iam.detach_role_policy(RoleName="SellingPartnerAPIRole", PolicyArn=policy)
    r = signed(server, MP, token, *session)
    assert r.status_code == 403, r.text
    assert error(r)[0] == "Unauthorized" and "execute-api:Invoke" in error(r)[2]
    assert "arn:aws:execute-api:us-east-1:" in error(r)[2] and ":sellingpartnerapi/prod/GET/sellers/v1/" in error(r)[2]

    # The role's session ends after an hour on the server clock, as STS's do.
    iam.attach_role_policy(RoleName="SellingPartnerAPIRole", PolicyArn=policy)
    assert signed(server, MP, token, *session).status_code == 200
    server.advance(seconds=3700)
    token = sb.access_token(app["lwaCredentials"]["clientId"], app["clientSecret"], refresh)
    r = signed(server, MP, token, *session)
    assert r.status_code == 403
    assert error(r)[:2] == ("Unauthorized", "The security token included in the request is expired")


def test_an_app_registered_with_the_user_and_another_arn(fresh_server):
    server = fresh_server(extra_args=["--sp-require-sigv4"])
    iam, bob, bob_key, policy, _role = guides_setup(server)
    sb = Sandbox(server)
    sb.developer()
    seller = sb.seller()

    def token_for(iam_arn):
        app = sb.app(iam_arn=iam_arn)
        refresh = sb.authorize(app["applicationId"], seller)
        return sb.access_token(app["lwaCredentials"]["clientId"], app["clientSecret"], refresh)

    by_bob = token_for(bob)
    r = signed(server, MP, by_bob, *bob_key)
    assert r.status_code == 403 and "execute-api:Invoke" in error(r)[2], "Bob has no SP-API policy yet"
    iam.attach_user_policy(UserName="bob", PolicyArn=policy)
    assert signed(server, MP, by_bob, *bob_key).status_code == 200

    other = token_for("arn:aws:iam::123456789012:user/someone-else")
    r = signed(server, MP, other, *bob_key)
    assert r.status_code == 403 and "registered IAM ARN" in error(r)[2]


def test_without_the_flag_sigv4_is_ignored(server):
    sb = Sandbox(server)
    _app, _c, _s, _seller, _r, access = sb.authorized()
    r = signed(server, MP, access, "AKIAIOSFODNN7EXAMPLE", "not-checked")
    assert r.status_code == 200, r.text
