"""Issue 4, KMS: symmetric keys, aliases, encryption with context, data keys, re-encryption,
states, rotation, deletion on the server's clock, key policies and tags, through boto3 and the CLI."""
import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError


def server_now(server):
    """Now on the server's clock (other tests move the shared server's virtual clock)."""
    return server.admin("GET", "/_spcred/clock").json()["now_ms"] / 1000


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


@pytest.fixture
def key(kms):
    return kms.create_key(Description="compat test key")["KeyMetadata"]


def test_create_key_returns_aws_key_metadata(kms, server):
    before = server_now(server)
    meta = kms.create_key(Description="erp secrets", Tags=[{"TagKey": "team", "TagValue": "erp"}])["KeyMetadata"]
    account = server.client("sts").get_caller_identity()["Account"]
    assert meta["AWSAccountId"] == account
    assert str(uuid.UUID(meta["KeyId"])) == meta["KeyId"]
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{account}:key/{meta['KeyId']}"
    assert meta["Description"] == "erp secrets"
    assert (meta["KeyUsage"], meta["KeySpec"], meta["CustomerMasterKeySpec"]) == (
        "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT")
    assert (meta["KeyState"], meta["Enabled"], meta["KeyManager"], meta["Origin"]) == (
        "Enabled", True, "CUSTOMER", "AWS_KMS")
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["MultiRegion"] is False
    assert len(meta["CurrentKeyMaterialId"]) == 64
    assert "DeletionDate" not in meta
    assert before - 5 < meta["CreationDate"].timestamp() < server_now(server) + 5
    for ref in (meta["KeyId"], meta["Arn"]):
        assert kms.describe_key(KeyId=ref)["KeyMetadata"] == meta
    listed = [k for k in kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]]
    assert {"KeyId": meta["KeyId"], "KeyArn": meta["Arn"]} in listed
    assert kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "erp"}]


def test_unsupported_key_specs_are_refused(kms):
    assert error_of(kms.create_key, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")[0] == "UnsupportedOperationException"
    code, message = error_of(kms.create_key, KeySpec="HMAC_random")
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [")


def test_the_default_key_policy_is_aws_default(kms, key, server):
    account = key["AWSAccountId"]
    policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    assert policy["PolicyName"] == "default"
    assert policy["Policy"] == (
        '{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n'
        '    "Sid" : "Enable IAM User Permissions",\n    "Effect" : "Allow",\n    "Principal" : {\n'
        f'      "AWS" : "arn:aws:iam::{account}:root"\n    }},\n    "Action" : "kms:*",\n    "Resource" : "*"\n  }} ]\n}}')
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]
    # The CLI shows the same document.
    out = server.aws("kms", "get-key-policy", "--key-id", key["KeyId"], "--policy-name", "default")
    assert json.loads(out["Policy"])["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{account}:root"


def test_put_key_policy_validates_and_replaces(kms, key):
    account = key["AWSAccountId"]
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "deny-deletion", "Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
    ]})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=doc)
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == doc
    assert error_of(kms.put_key_policy, KeyId=key["KeyId"], Policy="{not json")[0] == "MalformedPolicyDocumentException"
    bad_principal = doc.replace(f"arn:aws:iam::{account}:root", "not-a-principal")
    assert error_of(kms.put_key_policy, KeyId=key["KeyId"], Policy=bad_principal) == (
        "MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.")
    created = kms.create_key(Policy=doc)["KeyMetadata"]
    assert kms.get_key_policy(KeyId=created["KeyId"])["Policy"] == doc


def test_encrypt_and_decrypt_bind_the_encryption_context(kms, key):
    context = {"PARAMETER_ARN": "arn:aws:ssm:us-east-1:111122223333:parameter/a", "purpose": "test"}
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"the plaintext", EncryptionContext=context)
    assert out["KeyId"] == key["Arn"] and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = out["CiphertextBlob"]
    back = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
    assert back["Plaintext"] == b"the plaintext"
    assert back["KeyId"] == key["Arn"] and back["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert back["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    for wrong in ({}, {"PARAMETER_ARN": context["PARAMETER_ARN"]}, {**context, "purpose": "other"}):
        assert error_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=wrong) == ("InvalidCiphertextException", "")
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    assert error_of(kms.decrypt, CiphertextBlob=bytes(tampered), EncryptionContext=context)[0] == "InvalidCiphertextException"
    assert error_of(kms.decrypt, CiphertextBlob=b"not a kms blob")[0] == "InvalidCiphertextException"
    other = kms.create_key()["KeyMetadata"]
    assert error_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=context, KeyId=other["KeyId"]) == (
        "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")


def test_blobs_are_opaque(kms, key):
    a = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"opaque plaintext")["CiphertextBlob"]
    b = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"opaque plaintext")["CiphertextBlob"]
    assert a != b
    for needle in (key["KeyId"].encode(), uuid.UUID(key["KeyId"]).bytes, b"opaque plaintext"):
        assert needle not in a


def test_plaintext_limit_and_algorithm(kms, key):
    code, message = error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x" * 4097)
    assert (code, message) == ("ValidationException", "1 validation error detected: Value at 'plaintext' failed to "
                               "satisfy constraint: Member must have length less than or equal to 4096")
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4096)["CiphertextBlob"]
    assert error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")[0] == (
        "InvalidKeyUsageException")


def test_generate_data_keys(kms, key):
    for spec, size in (("AES_256", 32), ("AES_128", 16)):
        out = kms.generate_data_key(KeyId=key["Arn"], KeySpec=spec, EncryptionContext={"k": "v"})
        assert len(out["Plaintext"]) == size and out["KeyId"] == key["Arn"]
        assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "v"})["Plaintext"] == out["Plaintext"]
    out = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=64)
    assert len(out["Plaintext"]) == 64
    bare = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in bare and len(kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == 32
    assert error_of(kms.generate_data_key, KeyId=key["KeyId"]) == (
        "ValidationException", "Please specify either number of bytes or key spec.")
    assert error_of(kms.generate_data_key, KeyId=key["KeyId"], NumberOfBytes=1025)[1] == (
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have "
        "value less than or equal to 1024")


def test_re_encrypt_moves_a_ciphertext_to_another_key(kms, key):
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"moving", EncryptionContext={"a": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"}, DestinationKeyId=other["KeyId"],
                         DestinationEncryptionContext={"b": "2"})
    assert (out["SourceKeyId"], out["KeyId"]) == (key["Arn"], other["Arn"])
    assert (out["SourceEncryptionAlgorithm"], out["DestinationEncryptionAlgorithm"]) == ("SYMMETRIC_DEFAULT",) * 2
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert (back["Plaintext"], back["KeyId"]) == (b"moving", other["Arn"])
    assert error_of(kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=other["KeyId"])[0] == "InvalidCiphertextException"


def test_aliases(kms, key, server):
    account = key["AWSAccountId"]
    name = f"alias/compat-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert kms.describe_key(KeyId=f"arn:aws:kms:us-east-1:{account}:{name}")["KeyMetadata"]["KeyId"] == key["KeyId"]
    blob = kms.encrypt(KeyId=name, Plaintext=b"via alias")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"via alias"
    entries = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [(e["AliasName"], e["AliasArn"], e["TargetKeyId"]) for e in entries] == [
        (name, f"arn:aws:kms:us-east-1:{account}:{name}", key["KeyId"])]
    assert error_of(kms.create_alias, AliasName=name, TargetKeyId=key["KeyId"]) == (
        "AlreadyExistsException", f"An alias with the name arn:aws:kms:us-east-1:{account}:{name} already exists")
    assert error_of(kms.create_alias, AliasName="no-prefix", TargetKeyId=key["KeyId"]) == (
        "ValidationException", 'Alias must start with the prefix "alias/". Please see '
        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
    assert error_of(kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=key["KeyId"])[0] == "NotAuthorizedException"
    assert error_of(kms.create_alias, AliasName="alias/x2", TargetKeyId=name) == (
        "ValidationException", "Aliases must refer to keys. Not aliases")
    other = kms.create_key()["KeyMetadata"]
    kms.update_alias(AliasName=name, TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other["KeyId"]
    # Through the CLI too.
    server.aws("kms", "delete-alias", "--alias-name", name)
    assert error_of(kms.describe_key, KeyId=name) == (
        "NotFoundException", f"Alias arn:aws:kms:us-east-1:{account}:{name} is not found.")
    assert error_of(kms.delete_alias, AliasName=name)[0] == "NotFoundException"


def test_identifiers_that_name_nothing(kms, key):
    account = key["AWSAccountId"]
    assert error_of(kms.describe_key, KeyId="fake-key-id") == ("NotFoundException", "Invalid keyId 'fake-key-id'")
    missing = str(uuid.uuid4())
    assert error_of(kms.describe_key, KeyId=missing) == (
        "NotFoundException", f"Key 'arn:aws:kms:us-east-1:{account}:key/{missing}' does not exist")
    assert error_of(kms.describe_key, KeyId=f"arn:aws:kms:eu-west-1:{account}:key/{key['KeyId']}") == (
        "NotFoundException", "Invalid arn eu-west-1")
    # Operations that take only key ids refuse aliases.
    assert error_of(kms.enable_key, KeyId="alias/aws/ssm") == ("NotFoundException", "Invalid keyId 'alias/aws/ssm'")


def test_disabled_keys_refuse_cryptography(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    expected = ("DisabledException", f"{key['Arn']} is disabled.")
    assert error_of(kms.decrypt, CiphertextBlob=blob) == expected
    assert error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == expected
    assert error_of(kms.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256") == expected
    assert error_of(kms.enable_key_rotation, KeyId=key["KeyId"]) == expected
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"


def test_rotation_keeps_old_ciphertexts_readable(kms, key, server):
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False and "NextRotationDate" not in status
    kms.enable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"], status["KeyId"]) == (True, 365, key["Arn"])
    assert 364 < (status["NextRotationDate"].timestamp() - server_now(server)) / 86400 < 366
    old = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old material")["CiphertextBlob"]
    assert kms.rotate_key_on_demand(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    new_meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert new_meta["CurrentKeyMaterialId"] != key["CurrentKeyMaterialId"]
    new = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new material")["CiphertextBlob"]
    old_back, new_back = kms.decrypt(CiphertextBlob=old), kms.decrypt(CiphertextBlob=new)
    assert (old_back["Plaintext"], old_back["KeyMaterialId"]) == (b"old material", key["CurrentKeyMaterialId"])
    assert (new_back["Plaintext"], new_back["KeyMaterialId"]) == (b"new material", new_meta["CurrentKeyMaterialId"])
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [(r["RotationType"], r["KeyMaterialState"], r["KeyMaterialId"]) for r in rotations] == [
        ("ON_DEMAND", "CURRENT", new_meta["CurrentKeyMaterialId"])]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 90
    # boto3 refuses 89 itself; unchecked, the server answers as AWS does.
    raw = server.client("kms", parameter_validation=False)
    assert error_of(raw.enable_key_rotation, KeyId=key["KeyId"], RotationPeriodInDays=89) == (
        "ValidationException", "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy "
        "constraint: Member must have value greater than or equal to 90")
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_tags(kms, key):
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "b", "TagValue": "2"}, {"TagKey": "a", "TagValue": "1"}])
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "a", "TagValue": "one"}])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [
        {"TagKey": "a", "TagValue": "one"}, {"TagKey": "b", "TagValue": "2"}]
    page = kms.list_resource_tags(KeyId=key["KeyId"], Limit=1)
    assert (page["Tags"], page["Truncated"]) == ([{"TagKey": "a", "TagValue": "one"}], True)
    rest = kms.list_resource_tags(KeyId=key["KeyId"], Marker=page["NextMarker"])
    assert (rest["Tags"], rest["Truncated"]) == ([{"TagKey": "b", "TagValue": "2"}], False)
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["a", "absent"])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    assert error_of(kms.tag_resource, KeyId=key["KeyId"], Tags=[{"TagKey": "aws:x", "TagValue": "v"}]) == (
        "TagException", "Tags beginning with aws: are reserved")


def test_generate_random(kms):
    assert len(kms.generate_random(NumberOfBytes=37)["Plaintext"]) == 37
    assert error_of(kms.generate_random) == ("ValidationException", "NumberOfBytes is required.")


def test_the_ssm_managed_key_appears_on_first_use(fresh_server):
    s = fresh_server()
    kms = s.client("kms")
    assert [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/ssm"] == [
        {"AliasName": "alias/aws/ssm", "AliasArn": f"arn:aws:kms:us-east-1:{s.client('sts').get_caller_identity()['Account']}:alias/aws/ssm"}]
    assert kms.list_keys()["Keys"] == []
    meta = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert (meta["KeyManager"], meta["Description"]) == (
        "AWS", "Default master key that protects my SSM parameters when no other key is defined")
    assert kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["KeyId"] == meta["KeyId"]
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [meta["KeyId"]]
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"])["Policy"])
    assert policy["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"] == "ssm.us-east-1.amazonaws.com"
    code, _ = error_of(kms.disable_key, KeyId=meta["KeyId"])
    assert code == "AccessDeniedException"
    assert error_of(kms.schedule_key_deletion, KeyId=meta["KeyId"])[0] == "AccessDeniedException"


def test_deletion_happens_when_the_clock_passes_it(fresh_server):
    s = fresh_server()
    kms = s.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key["KeyId"])
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert error_of(kms.schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=5) == (
        "ValidationException", "PendingWindowInDays should be between 7 and 30, but it is 5")
    now = server_now(s)
    out = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert (out["KeyId"], out["KeyState"], out["PendingWindowInDays"]) == (key["Arn"], "PendingDeletion", 7)
    assert abs(out["DeletionDate"].timestamp() - (now + 7 * 86400)) < 60
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["DeletionDate"]) == ("PendingDeletion", False, out["DeletionDate"])
    pending = ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    assert error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == pending
    assert error_of(kms.decrypt, CiphertextBlob=blob) == pending
    assert error_of(kms.schedule_key_deletion, KeyId=key["KeyId"]) == pending
    assert error_of(kms.enable_key, KeyId=key["KeyId"]) == pending
    # Cancelling leaves the key disabled, as in AWS.
    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert error_of(kms.cancel_key_deletion, KeyId=key["KeyId"]) == (
        "KMSInvalidStateException", f"{key['Arn']} is not pending deletion.")
    s.advance(days=8)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    # Scheduled again through the CLI; the key survives until the clock passes the date.
    s.aws("kms", "schedule-key-deletion", "--key-id", key["KeyId"], "--pending-window-in-days", "7")
    s.advance(days=6)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    s.advance(days=1, seconds=60)
    assert error_of(kms.describe_key, KeyId=key["KeyId"]) == (
        "NotFoundException", f"Key '{key['Arn']}' does not exist")
    assert error_of(kms.decrypt, CiphertextBlob=blob)[0] == "NotFoundException"
    assert all(a["AliasName"] != "alias/doomed" for a in kms.list_aliases()["Aliases"])
    assert kms.list_keys()["Keys"] == []


def test_cli_encrypt_and_decrypt_with_context(server, tmp_path):
    key_id = server.aws("kms", "create-key", "--description", "cli")["KeyMetadata"]["KeyId"]
    (tmp_path / "plain.txt").write_bytes(b"cli secret")
    out = server.aws("kms", "encrypt", "--key-id", key_id, "--plaintext", f"fileb://{tmp_path / 'plain.txt'}",
                     "--encryption-context", "app=erp")
    (tmp_path / "blob").write_bytes(base64.b64decode(out["CiphertextBlob"]))
    back = server.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'blob'}",
                      "--encryption-context", "app=erp")
    assert base64.b64decode(back["Plaintext"]) == b"cli secret"
    failed = server.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'blob'}", check=False)
    assert failed.returncode != 0 and "InvalidCiphertextException" in failed.stderr


def test_key_policies_decide_together_with_iam(server):
    kms, iam = server.client("kms"), server.client("iam")
    account = server.client("sts").get_caller_identity()["Account"]
    tag = uuid.uuid4().hex[:8]

    def user(name, statements):
        iam.create_user(UserName=name)
        if statements:
            doc = {"Version": "2012-10-17", "Statement": statements}
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(doc))
        k = iam.create_access_key(UserName=name)["AccessKey"]
        return server.client("kms", key_id=k["AccessKeyId"], secret=k["SecretAccessKey"])

    alice = user(f"alice{tag}", [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}])
    bob = user(f"bob{tag}", [])
    bob_arn = f"arn:aws:iam::{account}:user/bob{tag}"

    # The default policy lets IAM decide: alice's identity policy is enough; bob has none.
    default = kms.create_key()["KeyMetadata"]
    blob = alice.encrypt(KeyId=default["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert alice.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    code, message = error_of(bob.encrypt, KeyId=default["KeyId"], Plaintext=b"x")
    assert (code, message.split(" because")[0]) == ("AccessDeniedException",
        f"User: {bob_arn} is not authorized to perform: kms:Encrypt on resource: {default['Arn']}")

    # A key policy without the account statement shuts out IAM policies, and root, but admits
    # the principal it names.
    only_bob = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": bob_arn}, "Action": "kms:*", "Resource": "*"}]})
    assert error_of(kms.create_key, Policy=only_bob) == (
        "MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")
    locked = kms.create_key(Policy=only_bob, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    assert error_of(alice.encrypt, KeyId=locked["KeyId"], Plaintext=b"x")[0] == "AccessDeniedException"
    assert error_of(kms.encrypt, KeyId=locked["KeyId"], Plaintext=b"x")[0] == "AccessDeniedException"
    assert error_of(kms.describe_key, KeyId=locked["KeyId"])[0] == "AccessDeniedException"
    assert bob.decrypt(CiphertextBlob=bob.encrypt(KeyId=locked["KeyId"], Plaintext=b"y")["CiphertextBlob"])["Plaintext"] == b"y"

    # An explicit deny in the key policy wins over alice's allow.
    deny_alice = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "no", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{account}:user/alice{tag}"},
         "Action": "kms:Decrypt", "Resource": "*"}]})
    kms.put_key_policy(KeyId=default["KeyId"], Policy=deny_alice)
    assert error_of(alice.decrypt, CiphertextBlob=blob)[0] == "AccessDeniedException"
    assert alice.encrypt(KeyId=default["KeyId"], Plaintext=b"z")["CiphertextBlob"]
