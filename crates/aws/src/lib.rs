//! The AWS-compatible services: IAM, STS, KMS, SSM, EventBridge, SNS, SQS.
