//! A handful of AWS managed policies, built in: they exist in every account under
//! `arn:aws:iam::aws:policy/` and can be attached, read and simulated, never changed.
//!
//! The documents are AWS's where AWS's are short (`AdministratorAccess`, `IAMReadOnlyAccess`,
//! `PowerUserAccess`, ...); the broad read-only policies are cut down to the services spcred
//! speaks.

/// An AWS managed policy.
#[derive(Debug)]
pub(crate) struct AwsManaged {
    pub name: &'static str,
    pub id: &'static str,
    pub description: &'static str,
    /// Epoch seconds.
    pub created: i64,
    pub document: &'static str,
}

impl AwsManaged {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy/{}", self.name)
    }
}

/// 2015-02-06T18:39:46Z, when IAM's first managed policies appeared.
const LAUNCH: i64 = 1_423_247_986;
/// 2019-07-11T00:00:00Z, when `EventBridge` launched.
const EVENTBRIDGE: i64 = 1_562_803_200;

/// The built-in AWS managed policies, by name.
pub(crate) static AWS_MANAGED: &[AwsManaged] = &[
    AwsManaged {
        name: "AdministratorAccess",
        id: "ANPAIWMBCKSKIEE64ZLYK",
        description: "Provides full access to AWS services and resources.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AmazonEventBridgeFullAccess",
        id: "ANPAZKAPJZG4LDH6QHCYA",
        description: "Provides full access to Amazon EventBridge.",
        created: EVENTBRIDGE,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EventBridgeActions",
            "Effect": "Allow",
            "Action": [
                "events:*",
                "schemas:*",
                "scheduler:*",
                "pipes:*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AmazonEventBridgeReadOnlyAccess",
        id: "ANPAZKAPJZG4OKDDGRAN4",
        description: "Provides read only access to Amazon EventBridge.",
        created: EVENTBRIDGE,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "events:DescribeRule",
                "events:DescribeEventBus",
                "events:DescribeEventSource",
                "events:ListEventBuses",
                "events:ListEventSources",
                "events:ListRuleNamesByTarget",
                "events:ListRules",
                "events:ListTargetsByRule",
                "events:TestEventPattern",
                "events:DescribeArchive",
                "events:ListArchives",
                "events:DescribeReplay",
                "events:ListReplays",
                "events:ListTagsForResource"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AmazonSNSFullAccess",
        id: "ANPAJWEKLCXXUNT2SOLSG",
        description: "Provides full access to Amazon SNS via the AWS Management Console.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "sns:*"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AmazonSNSReadOnlyAccess",
        id: "ANPAIZGQCQTFOFPMHSB6W",
        description: "Provides read only access to Amazon SNS via the AWS Management Console.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "sns:GetTopicAttributes",
                "sns:List*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AmazonSQSFullAccess",
        id: "ANPAI65L554VRJ33ECQS6",
        description: "Provides full access to Amazon SQS via the AWS Management Console.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "sqs:*"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AmazonSQSReadOnlyAccess",
        id: "ANPAIUGSSQY362XGCM6KW",
        description: "Provides read only access to Amazon SQS via the AWS Management Console.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListDeadLetterSourceQueues",
                "sqs:ListQueues",
                "sqs:ListMessageMoveTasks",
                "sqs:ListQueueTags"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AmazonSSMFullAccess",
        id: "ANPAJA7V6HI4ISQFMDYAG",
        description: "Provides full access to Amazon SSM.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ssm:*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AmazonSSMReadOnlyAccess",
        id: "ANPAJODSKQGGJTHRYZ5FC",
        description: "Provides read only access to Amazon SSM.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ssm:Describe*",
                "ssm:Get*",
                "ssm:List*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "AWSKeyManagementServicePowerUser",
        id: "ANPAJNPP7PPPPMJRV2SA4",
        description: "Provides access to AWS Key Management Service (AWS KMS).",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "kms:CreateAlias",
                "kms:CreateKey",
                "kms:DeleteAlias",
                "kms:Describe*",
                "kms:GenerateRandom",
                "kms:Get*",
                "kms:List*",
                "kms:TagResource",
                "kms:UntagResource",
                "iam:ListGroups",
                "iam:ListRoles",
                "iam:ListUsers"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "IAMFullAccess",
        id: "ANPAI7XKCFMBPM3QQRRVQ",
        description: "Provides full access to IAM via the AWS Management Console.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:*",
                "organizations:DescribeAccount",
                "organizations:DescribeOrganization",
                "organizations:DescribeOrganizationalUnit",
                "organizations:DescribePolicy",
                "organizations:ListChildren",
                "organizations:ListParents",
                "organizations:ListPoliciesForTarget",
                "organizations:ListRoots",
                "organizations:ListPolicies",
                "organizations:ListTargetsForPolicy"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "IAMReadOnlyAccess",
        id: "ANPAJKSO7NDY4T57MWDSQ",
        description: "Provides read only access to IAM via the AWS Management Console.",
        created: LAUNCH,
        document: r#"{
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
}"#,
    },
    AwsManaged {
        name: "PowerUserAccess",
        id: "ANPAJYRXTHIB4FOVS3ZXS",
        description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "NotAction": [
                "iam:*",
                "organizations:*",
                "account:*"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeOrganization",
                "account:ListRegions",
                "account:GetAccountInformation"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManaged {
        name: "ReadOnlyAccess",
        id: "ANPAILL3HVNFSB6DCOWYQ",
        description: "Provides read-only access to AWS services and resources.",
        created: LAUNCH,
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "events:Describe*",
                "events:List*",
                "events:TestEventPattern",
                "iam:Generate*",
                "iam:Get*",
                "iam:List*",
                "iam:Simulate*",
                "kms:Describe*",
                "kms:Get*",
                "kms:List*",
                "sns:Check*",
                "sns:Get*",
                "sns:List*",
                "sqs:Get*",
                "sqs:List*",
                "sqs:Receive*",
                "ssm:Describe*",
                "ssm:Get*",
                "ssm:List*",
                "sts:GetAccessKeyInfo",
                "sts:GetCallerIdentity",
                "sts:GetSessionToken"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
];

/// The AWS managed policy with this ARN.
pub(crate) fn by_arn(arn: &str) -> Option<&'static AwsManaged> {
    let name = arn.strip_prefix("arn:aws:iam::aws:policy/")?;
    AWS_MANAGED.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_is_a_valid_identity_policy() {
        for p in AWS_MANAGED {
            let parsed = policy::Policy::parse(p.document, policy::PolicyKind::Identity);
            assert!(parsed.is_ok(), "{}: {parsed:?}", p.name);
            assert!(p.id.starts_with("ANPA") && p.id.len() == 21, "{}", p.name);
        }
        let mut names: Vec<&str> = AWS_MANAGED.iter().map(|p| p.name).collect();
        names.dedup();
        assert_eq!(names.len(), AWS_MANAGED.len());
        assert_eq!(by_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess").unwrap().name, "IAMReadOnlyAccess");
        assert!(by_arn("arn:aws:iam::aws:policy/Nope").is_none());
    }
}
