"""Issue 4, SSM Parameter Store: the rotation blog's flow, SecureStrings that exist only as KMS
ciphertext at rest, parameter policies fired on the server's clock, and Parameter Store's
operations, errors and events through the AWS CLI and boto3."""
import base64
import datetime
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import sqlite_only

# The rotation blog's PutParameter body, with its fields and nothing else (the KeyId is ours).
# The blog's page lost the JSON braces and wrote `"Overwrite": "True"` and `Policies` as a bare
# array; the API takes a boolean and a JSON string. It names no `Tier`: parameter policies need
# the advanced tier, which spcred's default tier (Intelligent-Tiering) chooses for them.
BLOG_POLICY = [{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "150", "Unit": "Days"}}]
DEFAULT_TIER = "/ssm/parameter-store/default-parameter-tier"
POLICIES_NEED_ADVANCED = "Parameter policies are supported only for advanced-tier parameters."


def blog_body(key_id):
    return {
        "Name": "/my-erp/lwa/clientsecret",
        "Description": "SecureString with LWA ClientSecret",
        "Value": "171yourclientsecrietf722d",
        "Type": "SecureString",
        "KeyId": key_id,
        "Overwrite": True,
        "Policies": json.dumps(BLOG_POLICY),
    }


CLIENT_ID = "amzn1.application-oa2-client.0123456789abcdef"
REFRESH_TOKEN = "Atzr|IwEBIA-refresh-token-for-the-compat-test"


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def events(server, detail_type, name=None):
    r = server.admin("GET", "/_spcred/events", params={"source": "aws.ssm", "detail-type": detail_type})
    r.raise_for_status()
    found = r.json()["events"]
    if name is None:
        return found
    return [e for e in found if name in (e["detail"].get("parameter-name"), e["detail"].get("name"))]


def put_blog_parameters(s, tmp_path):
    key_id = s.aws("kms", "create-key", "--description", "LWA credentials")["KeyMetadata"]["KeyId"]
    (tmp_path / "body.json").write_text(json.dumps(blog_body(key_id)))
    out = s.aws("ssm", "put-parameter", "--cli-input-json", f"file://{tmp_path / 'body.json'}")
    assert out == {"Version": 1, "Tier": "Advanced"}
    ssm = s.client("ssm")
    ssm.put_parameter(Name="/my-erp/lwa/clientidentifier", Value=CLIENT_ID, Type="SecureString", KeyId=key_id)
    ssm.put_parameter(Name="/my-erp/refreshToken", Value=REFRESH_TOKEN, Type="SecureString", KeyId=key_id)
    return key_id


def test_the_blog_flow_end_to_end(fresh_server, tmp_path):
    s = fresh_server()
    key_id = put_blog_parameters(s, tmp_path)
    ssm = s.client("ssm")

    # The Lambda's call, with the three names the blog stores.
    names = ["/my-erp/lwa/clientsecret", "/my-erp/lwa/clientidentifier", "/my-erp/refreshToken"]
    response = ssm.get_parameters(Names=names, WithDecryption=True)
    assert response["InvalidParameters"] == []
    values = {p["Name"]: p["Value"] for p in response["Parameters"]}
    assert values == {names[0]: "171yourclientsecrietf722d", names[1]: CLIENT_ID, names[2]: REFRESH_TOKEN}
    # Parameter Store answers in name order, not in the order asked: the blog's index-based
    # reading (`['Parameters'][0]` as the secret) would pick the client id here.
    assert [p["Name"] for p in response["Parameters"]] == sorted(names)
    assert all(p["Type"] == "SecureString" and p["Version"] == 1 for p in response["Parameters"])
    # The blog's Lambda asks for '/my-erp/lwa/cliensecret' (sic); that name does not exist.
    typo = ssm.get_parameters(Names=["/my-erp/lwa/cliensecret"] + names[1:], WithDecryption=True)
    assert typo["InvalidParameters"] == ["/my-erp/lwa/cliensecret"]
    assert len(typo["Parameters"]) == 2

    # Without decryption the value is the KMS ciphertext.
    hidden = ssm.get_parameter(Name=names[0])["Parameter"]
    assert hidden["Value"] != "171yourclientsecrietf722d"
    assert b"171yourclientsecrietf722d" not in base64.b64decode(hidden["Value"])

    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [names[0]]}])["Parameters"][0]
    assert (meta["KeyId"], meta["Tier"], meta["Description"]) == (key_id, "Advanced", "SecureString with LWA ClientSecret")
    assert meta["Policies"] == [{"PolicyText": json.dumps(BLOG_POLICY[0], separators=(",", ":")),
                                 "PolicyType": "NoChangeNotification", "PolicyStatus": "Pending"}]

    # 150 days after the last change, exactly one NoChangeNotification.
    s.advance(days=149)
    assert events(s, "Parameter Store Policy Action", names[0]) == []
    s.advance(days=1, seconds=60)
    fired = events(s, "Parameter Store Policy Action", names[0])
    assert len(fired) == 1
    event = fired[0]
    assert (event["source"], event["detail-type"], event["version"]) == ("aws.ssm", "Parameter Store Policy Action", "0")
    account = s.client("sts").get_caller_identity()["Account"]
    assert (event["account"], event["region"]) == (account, "us-east-1")
    assert event["resources"] == [f"arn:aws:ssm:us-east-1:{account}:parameter/my-erp/lwa/clientsecret"]
    detail = event["detail"]
    assert set(detail) == {"parameter-name", "parameter-type", "policy-type", "policy-content", "action-status",
                           "action-reason"}
    assert (detail["parameter-name"], detail["parameter-type"], detail["policy-type"]) == (
        names[0], "SecureString", "NoChangeNotification")
    assert json.loads(detail["policy-content"]) == BLOG_POLICY[0]
    assert detail["action-status"] == "Finished"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [names[0]]}])["Parameters"][0]
    assert meta["Policies"][0]["PolicyStatus"] == "Finished"
    s.advance(days=200)
    assert len(events(s, "Parameter Store Policy Action", names[0])) == 1

    # Rotating the secret (a new version) restarts the count; the policy stays.
    rotated = ssm.put_parameter(Name=names[0], Value="new-rotated-secret", Type="SecureString", Overwrite=True)
    assert (rotated["Version"], rotated["Tier"]) == (2, "Advanced")
    assert ssm.get_parameter(Name=names[0], WithDecryption=True)["Parameter"]["Value"] == "new-rotated-secret"
    s.advance(days=149)
    assert len(events(s, "Parameter Store Policy Action", names[0])) == 1
    s.advance(days=1, seconds=60)
    assert len(events(s, "Parameter Store Policy Action", names[0])) == 2

    changes = [(e["detail"]["operation"], e["detail"]["name"]) for e in events(s, "Parameter Store Change")]
    assert changes == [("Create", names[0]), ("Create", names[1]), ("Create", names[2]), ("Update", names[0])]


@sqlite_only
def test_no_secret_or_key_material_is_readable_at_rest(fresh_server, tmp_path):
    s = fresh_server()
    put_blog_parameters(s, tmp_path)
    kms, ssm = s.client("kms"), s.client("ssm")
    plaintexts = ["171yourclientsecrietf722d", CLIENT_ID, REFRESH_TOKEN, "advanced-tier-secret-value"]
    ssm.put_parameter(Name="/big", Value=plaintexts[3], Type="SecureString", Tier="Advanced")
    # Data keys KMS hands out are copies of nothing it keeps: none may be found at rest either.
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    data_keys = [kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"] for _ in range(3)]
    assert ssm.get_parameter(Name="/big", WithDecryption=True)["Parameter"]["Value"] == plaintexts[3]

    needles = []
    for p in plaintexts:
        needles += [p.encode(), base64.b64encode(p.encode()), p.encode("utf-16-le")]
    for k in data_keys:
        needles += [k, k.hex().encode(), base64.b64encode(k)]
    master = bytes.fromhex((s.data_dir / "master.key").read_text().strip())
    needles += [master, master.hex().encode()]

    def haystacks():
        files = [s.data_dir / "spcred.db", s.data_dir / "spcred.db-wal", s.log_path]
        return {f.name: f.read_bytes() for f in files if f.exists()}

    while_running = haystacks()
    assert while_running["spcred.db-wal"], "the WAL holds the recent writes while the server runs"
    s.stop()
    for name, data in {**while_running, **{f"{k} (after shutdown)": v for k, v in haystacks().items()}}.items():
        for needle in needles:
            assert needle not in data, f"{needle[:12]!r}... found in {name}"


def test_policies_need_the_advanced_tier_and_valid_attributes(server):
    ssm = server.client("ssm")
    name = f"/compat/policy/{uuid.uuid4().hex[:8]}"
    blog = json.dumps(BLOG_POLICY)
    assert error_of(ssm.put_parameter, Name=name, Value="v", Type="String", Tier="Standard", Policies=blog) == (
        "ValidationException", POLICIES_NEED_ADVANCED)
    assert ssm.put_parameter(Name=name, Value="v", Type="String", Tier="Intelligent-Tiering", Policies=blog)["Tier"] == (
        "Advanced")

    def policy(kind, **attributes):
        return {"Type": kind, "Version": "1.0", "Attributes": {k: str(v) for k, v in attributes.items()}}

    cases = [
        ([policy("Rotation", After=1, Unit="Days")], "InvalidPolicyTypeException",
         "The policy type isn't supported. Parameter Store supports the following policy types: Expiration, "
         "ExpirationNotification, and NoChangeNotification."),
        ([policy("NoChangeNotification", After=1, Unit="Weeks")], "InvalidPolicyAttributeException",
         "A policy attribute or its value is invalid."),
        ([policy("NoChangeNotification", After=0, Unit="Days")], "InvalidPolicyAttributeException", None),
        ([policy("ExpirationNotification", After=1, Unit="Days")], "InvalidPolicyAttributeException", None),
        ([policy("Expiration", Timestamp="next tuesday")], "InvalidPolicyAttributeException", None),
        ([{**policy("NoChangeNotification", After=1, Unit="Days"), "Version": "2.0"}], "InvalidPolicyAttributeException", None),
        ([policy("NoChangeNotification", After=1, Unit="Hours")] * 11, "PoliciesLimitExceededException",
         "You specified more than the maximum number of allowed policies for the parameter. The maximum is 10."),
        ([policy("Expiration", Timestamp="2099-01-01T00:00:00Z")] * 2, "IncompatiblePolicyException", None),
    ]
    for policies, code, message in cases:
        got = error_of(ssm.put_parameter, Name=name, Value="v", Type="String", Tier="Advanced", Overwrite=True,
                       Policies=json.dumps(policies))
        assert got[0] == code, policies
        if message:
            assert got[1] == message
    # `[{}]` removes every policy, as Parameter Store documents.
    ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True, Policies="[{}]")
    assert ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]["Policies"] == []


def test_expiration_and_its_notification(fresh_server):
    s = fresh_server()
    ssm = s.client("ssm")
    now_ms = s.admin("GET", "/_spcred/clock").json()["now_ms"]
    expires = (now_ms // 1000) + 10 * 86400
    stamp = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    policies = [
        {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": stamp}},
        {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "2", "Unit": "Days"}},
    ]
    ssm.put_parameter(Name="/temp/token", Value="short-lived", Type="String", Tier="Advanced",
                      Policies=json.dumps(policies))
    s.advance(days=7, seconds=-120)
    assert events(s, "Parameter Store Policy Action", "/temp/token") == []
    s.advance(days=1, seconds=180)
    fired = events(s, "Parameter Store Policy Action", "/temp/token")
    assert [e["detail"]["policy-type"] for e in fired] == ["ExpirationNotification"]
    # Updating the parameter does not move its expiration.
    ssm.put_parameter(Name="/temp/token", Value="still short-lived", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name="/temp/token")["Parameter"]["Value"] == "still short-lived"
    s.advance(days=2)
    fired = events(s, "Parameter Store Policy Action", "/temp/token")
    assert [e["detail"]["policy-type"] for e in fired] == ["ExpirationNotification", "Expiration"]
    assert fired[1]["detail"]["action-status"] == "Finished"
    assert error_of(ssm.get_parameter, Name="/temp/token") == ("ParameterNotFound", "")
    deletes = [e for e in events(s, "Parameter Store Change", "/temp/token") if e["detail"]["operation"] == "Delete"]
    assert len(deletes) == 1


def test_secure_strings_with_a_disabled_key(server):
    ssm, kms = server.client("ssm"), server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    name = f"/compat/disabled/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="sealed", Type="SecureString", KeyId=key["Arn"])
    kms.disable_key(KeyId=key["KeyId"])
    code, message = error_of(ssm.get_parameter, Name=name, WithDecryption=True)
    assert code == "InvalidKeyId"
    assert message.startswith(f"{key['Arn']} is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException;")
    # The ciphertext is still there for whoever does not ask for the plaintext.
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"]
    code, message = error_of(ssm.put_parameter, Name=name, Value="new", Type="SecureString", Overwrite=True)
    assert code == "InvalidKeyId" and "DisabledException" in message
    kms.enable_key(KeyId=key["KeyId"])
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "sealed"
    code, message = error_of(ssm.put_parameter, Name=f"{name}-x", Value="v", Type="SecureString", KeyId="alias/none")
    assert code == "InvalidKeyId" and "Error Code: NotFoundException" in message


def test_versions_selectors_labels_and_history(server):
    ssm = server.client("ssm")
    name = f"/compat/versions/{uuid.uuid4().hex[:8]}"
    assert ssm.put_parameter(Name=name, Value="one", Type="String", Description="first")["Version"] == 1
    assert error_of(ssm.put_parameter, Name=name, Value="x", Type="String") == (
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
    assert ssm.put_parameter(Name=name, Value="two", Overwrite=True)["Version"] == 2
    got = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (got["Value"], got["Version"], got["Selector"], got["Name"]) == ("one", 1, ":1", name)
    assert "Selector" not in ssm.get_parameter(Name=name)["Parameter"]
    assert error_of(ssm.get_parameter, Name=f"{name}:9") == (
        "ParameterVersionNotFound", f"Systems Manager could not find version 9 of {name}. Verify the version and try again.")
    labelled = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod", "1bad", "awsx"])
    assert (labelled["ParameterVersion"], labelled["InvalidLabels"]) == (1, ["1bad", "awsx"])
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "one"
    # A label is unique within a parameter: labelling version 2 moves it.
    ssm.label_parameter_version(Name=name, Labels=["prod"])
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "two"
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"], h["Description"]) for h in history] == [
        (1, "one", [], "first"), (2, "two", ["prod"], "first")]
    out = ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["prod", "absent"])
    assert (out["RemovedLabels"], out["InvalidLabels"]) == (["prod"], ["absent"])
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    assert error_of(ssm.label_parameter_version, Name=name, ParameterVersion=1, Labels=["l10"])[0] == (
        "ParameterVersionLabelLimitExceeded")
    account = server.client("sts").get_caller_identity()["Account"]
    by_arn = ssm.get_parameter(Name=f"arn:aws:ssm:us-east-1:{account}:parameter{name}")["Parameter"]
    assert (by_arn["Name"], by_arn["ARN"]) == (name, f"arn:aws:ssm:us-east-1:{account}:parameter{name}")


def test_a_hundred_versions_are_kept(server):
    ssm = server.client("ssm")
    name = f"/compat/many/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["pinned"])
    for i in range(2, 101):
        ssm.put_parameter(Name=name, Value=f"v{i}", Overwrite=True)
    code, message = error_of(ssm.put_parameter, Name=name, Value="v101", Overwrite=True)
    assert code == "ParameterMaxVersionLimitExceeded"
    assert message == (f"You attempted to create a new version of {name} by calling the PutParameter API with the "
                       "overwrite flag. Version 1, the oldest version, can't be deleted because it has a label "
                       "associated with it. Move the label to another version of the parameter, and try again.")
    ssm.unlabel_parameter_version(Name=name, ParameterVersion=1, Labels=["pinned"])
    assert ssm.put_parameter(Name=name, Value="v101", Overwrite=True)["Version"] == 101
    versions = [h["Version"] for h in ssm.get_paginator("get_parameter_history").paginate(Name=name).build_full_result()["Parameters"]]
    assert versions == list(range(2, 102))


def test_names_are_checked_like_parameter_store(server):
    ssm = server.client("ssm")
    cases = {
        "/aws/reserved": ("AccessDeniedException", "No access to reserved parameter name: aws/reserved."),
        "/SSM/reserved": ("ValidationException",
                          "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it "
                          "can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of "
                          "letters, numbers and the following 3 symbols .-_"),
        "awsname": ("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)."),
        "has space": ("ValidationException", "Parameter name must be a fully qualified name"),
        "/" + "/".join(f"l{i}" for i in range(16)): (
            "HierarchyLevelLimitExceededException",
            "A hierarchy can have a maximum of 15 levels. For more information, see "
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html"),
    }
    for name, expected in cases.items():
        assert error_of(ssm.put_parameter, Name=name, Value="v", Type="String") == expected, name
    assert error_of(ssm.put_parameter, Name="/compat/untyped-new", Value="v") == (
        "ValidationException", "A parameter type is required when you create a parameter.")
    assert error_of(ssm.get_parameter, Name="/compat/never-created") == ("ParameterNotFound", "")
    assert error_of(ssm.delete_parameter, Name="/compat/never-created") == ("ParameterNotFound", "")


def test_tiers_and_value_limits(server):
    ssm = server.client("ssm")
    name = f"/compat/tier/{uuid.uuid4().hex[:8]}"
    code, message = error_of(ssm.put_parameter, Name=name, Value="x" * 4097, Type="String", Tier="Standard")
    assert (code, message) == ("ValidationException", "Standard tier parameters support a maximum parameter value of "
                               "4096 characters. To create a larger parameter value, upgrade the parameter to use the "
                               "advanced-parameter tier. For more information, see "
                               "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
    assert ssm.put_parameter(Name=name, Value="x" * 4097, Type="SecureString", Tier="Intelligent-Tiering")["Tier"] == (
        "Advanced")
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "x" * 4097
    code, message = error_of(ssm.put_parameter, Name=name, Value="y", Tier="Standard", Overwrite=True)
    assert code == "ValidationException" and message.startswith("This parameter uses the advanced-parameter tier.")
    assert ssm.put_parameter(Name=name, Value="y", Overwrite=True)["Tier"] == "Advanced"
    assert error_of(ssm.put_parameter, Name=f"{name}-p", Value="abc", Type="String", AllowedPattern=r"^\d+$") == (
        "ParameterPatternMismatchException", r"Parameter value, cannot be validated against allowedPattern: ^\d+$")
    assert error_of(ssm.put_parameter, Name=f"{name}-k", Value="v", Type="String", KeyId="alias/aws/ssm") == (
        "ValidationException", "KeyId is required for SecureString type parameter only.")


def test_the_default_parameter_tier_is_a_service_setting(fresh_server, tmp_path):
    s = fresh_server()
    ssm = s.client("ssm")
    account = s.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:ssm:us-east-1:{account}:servicesetting{DEFAULT_TIER}"
    # spcred's accounts start at Intelligent-Tiering (AWS's start at Standard).
    got = s.aws("ssm", "get-service-setting", "--setting-id", DEFAULT_TIER)["ServiceSetting"]
    assert {k: v for k, v in got.items() if k != "LastModifiedDate"} == {
        "SettingId": DEFAULT_TIER, "SettingValue": "Intelligent-Tiering", "LastModifiedUser": "System", "ARN": arn,
        "Status": "Default"}
    assert ssm.get_service_setting(SettingId=arn)["ServiceSetting"]["SettingValue"] == "Intelligent-Tiering"
    throughput = ssm.get_service_setting(SettingId="/ssm/parameter-store/high-throughput-enabled")["ServiceSetting"]
    assert (throughput["SettingValue"], throughput["Status"]) == ("false", "Default")

    # At Standard (where AWS accounts start), the blog's body is refused as AWS refuses it.
    key_id = s.aws("kms", "create-key")["KeyMetadata"]["KeyId"]
    body = tmp_path / "body.json"
    body.write_text(json.dumps(blog_body(key_id)))
    assert s.aws("ssm", "update-service-setting", "--setting-id", arn, "--setting-value", "Standard") is None
    changed = ssm.get_service_setting(SettingId=DEFAULT_TIER)["ServiceSetting"]
    assert (changed["SettingValue"], changed["Status"], changed["LastModifiedUser"]) == (
        "Standard", "Customized", f"arn:aws:iam::{account}:root")
    refused = s.aws("ssm", "put-parameter", "--cli-input-json", f"file://{body}", check=False)
    assert refused.returncode != 0
    assert ("An error occurred (ValidationException) when calling the PutParameter operation: "
            f"{POLICIES_NEED_ADVANCED}") in refused.stderr
    assert ssm.put_parameter(Name="/plain/standard", Value="v", Type="String")["Tier"] == "Standard"

    # Reset: back to Intelligent-Tiering, and the body goes in unchanged.
    reset = ssm.reset_service_setting(SettingId=DEFAULT_TIER)["ServiceSetting"]
    assert (reset["SettingValue"], reset["Status"], reset["ARN"]) == ("Intelligent-Tiering", "Default", arn)
    assert s.aws("ssm", "put-parameter", "--cli-input-json", f"file://{body}") == {"Version": 1, "Tier": "Advanced"}
    # Intelligent-Tiering: standard unless the request needs advanced, also for an existing parameter.
    assert ssm.put_parameter(Name="/plain/small", Value="v", Type="String")["Tier"] == "Standard"
    assert ssm.put_parameter(Name="/plain/big", Value="x" * 4097, Type="String")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name="/plain/standard", Value="v2", Overwrite=True,
                             Policies=json.dumps(BLOG_POLICY))["Tier"] == "Advanced"

    # At Advanced, new parameters are advanced; an existing one keeps its tier.
    ssm.update_service_setting(SettingId=DEFAULT_TIER, SettingValue="Advanced")
    assert ssm.put_parameter(Name="/plain/new", Value="v", Type="String")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name="/plain/small", Value="v2", Overwrite=True)["Tier"] == "Standard"
    # Settings are per region.
    west = s.client("ssm", region="us-west-2")
    assert west.get_service_setting(SettingId=DEFAULT_TIER)["ServiceSetting"]["SettingValue"] == "Intelligent-Tiering"

    assert error_of(ssm.update_service_setting, SettingId=DEFAULT_TIER, SettingValue="Premium") == (
        "ValidationException", "1 validation error detected: Value 'Premium' at 'settingValue' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]")
    assert error_of(ssm.update_service_setting, SettingId="/ssm/parameter-store/high-throughput-enabled",
                    SettingValue="yes")[0] == "ValidationException"
    not_found = ("ServiceSettingNotFound", "The specified service setting wasn't found. Either the service name or "
                 "the setting hasn't been provisioned by the Amazon Web Services service team.")
    for setting_id in ["/ssm/parameter-store/no-such-setting", f"arn:aws:ssm:us-west-2:{account}:servicesetting{DEFAULT_TIER}"]:
        assert error_of(ssm.get_service_setting, SettingId=setting_id) == not_found
        assert error_of(ssm.update_service_setting, SettingId=setting_id, SettingValue="Standard") == not_found
        assert error_of(ssm.reset_service_setting, SettingId=setting_id) == not_found

    # IAM decides each operation on the setting's ARN.
    reader, _ = new_user(s, "tier-reader", allow("ssm:GetServiceSetting", "*"))
    assert reader.get_service_setting(SettingId=DEFAULT_TIER)["ServiceSetting"]["SettingValue"] == "Advanced"
    for call in (lambda: reader.update_service_setting(SettingId=DEFAULT_TIER, SettingValue="Standard"),
                 lambda: reader.reset_service_setting(SettingId=DEFAULT_TIER)):
        code, message = error_of(call)
        assert code == "AccessDeniedException"
        assert message.startswith(f"User: arn:aws:iam::{account}:user/tier-reader is not authorized to perform: ssm:")
        assert message.endswith(f"ServiceSetting on resource: {arn}")
    writer, _ = new_user(s, "tier-writer", allow("ssm:UpdateServiceSetting", arn))
    writer.update_service_setting(SettingId=arn, SettingValue="Standard")
    changed = ssm.get_service_setting(SettingId=DEFAULT_TIER)["ServiceSetting"]
    assert (changed["SettingValue"], changed["LastModifiedUser"]) == ("Standard", f"arn:aws:iam::{account}:user/tier-writer")
    assert error_of(writer.get_service_setting, SettingId=DEFAULT_TIER)[0] == "AccessDeniedException"


def test_by_path_and_describe_filters(server):
    ssm = server.client("ssm")
    root = f"/compat/tree{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=f"{root}/a", Value="1", Type="String", Tags=[{"Key": "env", "Value": "prod"}])
    ssm.put_parameter(Name=f"{root}/b", Value="2", Type="StringList")
    ssm.put_parameter(Name=f"{root}/c", Value="3", Type="SecureString")
    ssm.put_parameter(Name=f"{root}/sub/d", Value="4", Type="String")
    one = ssm.get_parameters_by_path(Path=root)["Parameters"]
    assert [p["Name"] for p in one] == [f"{root}/a", f"{root}/b", f"{root}/c"]
    assert one[2]["Value"] != "3"
    deep = ssm.get_paginator("get_parameters_by_path").paginate(
        Path=root, Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 2}).build_full_result()
    assert [(p["Name"], p["Value"]) for p in deep["Parameters"]] == [
        (f"{root}/a", "1"), (f"{root}/b", "2"), (f"{root}/c", "3"), (f"{root}/sub/d", "4")]
    typed = ssm.get_parameters_by_path(Path=root, Recursive=True,
                                       ParameterFilters=[{"Key": "Type", "Values": ["String"]}])["Parameters"]
    assert [p["Name"] for p in typed] == [f"{root}/a", f"{root}/sub/d"]
    assert error_of(ssm.get_parameters_by_path, Path=root, ParameterFilters=[{"Key": "Name", "Values": ["x"]}]) == (
        "InvalidFilterKey", "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId].")

    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}])
    assert [p["Name"] for p in described["Parameters"]] == [f"{root}/a", f"{root}/b", f"{root}/c", f"{root}/sub/d"]
    tagged = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:env", "Values": ["prod"]}])["Parameters"]
    assert [p["Name"] for p in tagged] == [f"{root}/a"]
    secure = ssm.describe_parameters(ParameterFilters=[
        {"Key": "Name", "Option": "BeginsWith", "Values": [root]}, {"Key": "Type", "Values": ["SecureString"]}])
    assert [(p["Name"], p["KeyId"]) for p in secure["Parameters"]] == [(f"{root}/c", "alias/aws/ssm")]
    legacy = ssm.describe_parameters(Filters=[{"Key": "Name", "Values": [f"{root}/b"]}])["Parameters"]
    assert [p["Name"] for p in legacy] == [f"{root}/b"]
    assert error_of(ssm.describe_parameters, Filters=[{"Key": "Name", "Values": ["x"]}],
                    ParameterFilters=[{"Key": "Name", "Values": ["x"]}]) == (
        "ValidationException", "You can use either Filters or ParameterFilters in a single request.")


def test_tags_and_deletion(server):
    ssm = server.client("ssm")
    name = f"/compat/tags/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    assert error_of(ssm.put_parameter, Name=name, Value="v", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])[1] == (
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove "
        "overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "team", "Value": "erp"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "team", "Value": "erp"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["team"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == []
    assert error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId="/compat/nope")[0] == "InvalidResourceId"
    out = ssm.delete_parameters(Names=[name, "/compat/nope"])
    assert (out["DeletedParameters"], out["InvalidParameters"]) == ([name], ["/compat/nope"])
    assert error_of(ssm.get_parameter, Name=name)[0] == "ParameterNotFound"


def new_user(server, name, *statements):
    """An IAM user with one inline policy of `statements`; returns its SSM and KMS clients."""
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if statements:
        doc = {"Version": "2012-10-17", "Statement": list(statements)}
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(doc))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = {"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    return server.client("ssm", **creds), server.client("kms", **creds)


def allow(action, resource, condition=None):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def test_decryption_needs_kms_decrypt_on_the_key(server):
    ssm, kms = server.client("ssm"), server.client("kms")
    account = server.client("sts").get_caller_identity()["Account"]
    key = kms.create_key()["KeyMetadata"]
    tag = uuid.uuid4().hex[:8]
    names = [f"/compat/perm{tag}/a", f"/compat/perm{tag}/b"]
    arns = [f"arn:aws:ssm:us-east-1:{account}:parameter{n}" for n in names]
    for n in names:
        ssm.put_parameter(Name=n, Value=f"secret of {n}", Type="SecureString", KeyId=key["KeyId"])

    # Allowed to read the parameters, not to decrypt: the ciphertext, or AccessDenied.
    reader, _ = new_user(server, f"reader{tag}", allow("ssm:GetParameter*", arns))
    assert reader.get_parameter(Name=names[0])["Parameter"]["Value"] != f"secret of {names[0]}"
    code, message = error_of(reader.get_parameter, Name=names[0], WithDecryption=True)
    assert code == "AccessDeniedException"
    assert message.startswith(f"User: arn:aws:iam::{account}:user/reader{tag} is not authorized to perform: "
                              f"kms:Decrypt on resource: {key['Arn']}")
    assert "(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException;" in message
    assert error_of(reader.get_parameters, Names=names, WithDecryption=True)[0] == "AccessDeniedException"

    # kms:Decrypt limited by the encryption context Parameter Store uses: one parameter, not the other.
    decrypter, _ = new_user(server, f"decrypter{tag}", allow("ssm:GetParameter*", arns),
                            allow("kms:Decrypt", key["Arn"],
                                  {"StringEquals": {"kms:EncryptionContext:PARAMETER_ARN": arns[0]}}))
    assert decrypter.get_parameter(Name=names[0], WithDecryption=True)["Parameter"]["Value"] == f"secret of {names[0]}"
    assert error_of(decrypter.get_parameter, Name=names[1], WithDecryption=True)[0] == "AccessDeniedException"

    # Storing needs kms:Encrypt (standard tier) or kms:GenerateDataKey (advanced tier).
    writer, _ = new_user(server, f"writer{tag}", allow("ssm:PutParameter", f"arn:aws:ssm:us-east-1:{account}:parameter/compat/w{tag}/*"),
                         allow("kms:Encrypt", key["Arn"]))
    writer.put_parameter(Name=f"/compat/w{tag}/std", Value="v", Type="SecureString", KeyId=key["KeyId"])
    code, message = error_of(writer.put_parameter, Name=f"/compat/w{tag}/adv", Value="v", Type="SecureString",
                             KeyId=key["KeyId"], Tier="Advanced")
    assert code == "AccessDeniedException" and "kms:GenerateDataKey" in message


def test_the_managed_key_serves_through_parameter_store_only(server):
    tag = uuid.uuid4().hex[:8]
    account = server.client("sts").get_caller_identity()["Account"]
    name = f"/compat/managed{tag}/token"
    user_ssm, user_kms = new_user(
        server, f"managed{tag}",
        allow(["ssm:PutParameter", "ssm:GetParameter"], f"arn:aws:ssm:us-east-1:{account}:parameter{name}"),
        allow("kms:Decrypt", "*"))
    # No KeyId: alias/aws/ssm, whose policy lets every principal of the account use it via SSM.
    user_ssm.put_parameter(Name=name, Value="via ssm", Type="SecureString")
    got = user_ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert got["Value"] == "via ssm"
    blob = base64.b64decode(user_ssm.get_parameter(Name=name)["Parameter"]["Value"])
    arn = f"arn:aws:ssm:us-east-1:{account}:parameter{name}"
    # Directly, even with an IAM allow, KMS refuses: the key policy admits only calls via SSM.
    assert error_of(user_kms.decrypt, CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})[0] == (
        "AccessDeniedException")
