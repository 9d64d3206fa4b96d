//! AWS Organizations' errors, with its codes and messages. All are client errors (400).

use aws_core::error::{CommonError, Flavor, ServiceError};
use std::fmt;

/// An error of AWS Organizations.
#[derive(Debug)]
pub enum OrgError {
    /// `AWSOrganizationsNotInUseException`: the caller's account is in no organization.
    NotInUse,
    /// `AlreadyInOrganizationException`.
    AlreadyInOrganization,
    /// `AccessDeniedException`: only the management account may do this.
    AccessDenied,
    /// `AccountNotFoundException`.
    AccountNotFound,
    /// `RootNotFoundException`.
    RootNotFound,
    /// `ParentNotFoundException`.
    ParentNotFound,
    /// `SourceParentNotFoundException`.
    SourceParentNotFound,
    /// `DestinationParentNotFoundException`.
    DestinationParentNotFound,
    /// `DuplicateAccountException`: the account is already under the destination.
    DuplicateAccount,
    /// `ChildNotFoundException`.
    ChildNotFound,
    /// `OrganizationalUnitNotFoundException`.
    OuNotFound,
    /// `DuplicateOrganizationalUnitException`.
    DuplicateOu,
    /// `OrganizationalUnitNotEmptyException`.
    OuNotEmpty,
    /// `OrganizationNotEmptyException`.
    OrganizationNotEmpty,
    /// `PolicyNotFoundException`.
    PolicyNotFound,
    /// `DuplicatePolicyException`.
    DuplicatePolicy,
    /// `PolicyInUseException`.
    PolicyInUse,
    /// `TargetNotFoundException`.
    TargetNotFound,
    /// `DuplicatePolicyAttachmentException`.
    DuplicatePolicyAttachment,
    /// `PolicyNotAttachedException`.
    PolicyNotAttached,
    /// `PolicyTypeNotEnabledException`.
    PolicyTypeNotEnabled,
    /// `PolicyTypeAlreadyEnabledException`.
    PolicyTypeAlreadyEnabled,
    /// `MalformedPolicyDocumentException`, with what the policy grammar found.
    MalformedPolicyDocument(String),
    /// `ConstraintViolationException`, with the constraint.
    ConstraintViolation(String),
    /// `InvalidInputException`.
    InvalidInput(String),
    /// `CreateAccountStatusNotFoundException`.
    CreateAccountStatusNotFound,
    /// A pipeline failure (validation, access denied by IAM, internal).
    Common(CommonError),
}

impl OrgError {
    /// The error's code, HTTP status and message: every variant named once.
    fn parts(&self) -> (&str, u16, String) {
        let fixed = |code: &'static str, message: &str| (code, 400, message.to_owned());
        match self {
            OrgError::NotInUse => {
                fixed("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
            }
            OrgError::AlreadyInOrganization => {
                fixed("AlreadyInOrganizationException", "The AWS account is already a member of an organization.")
            }
            OrgError::AccessDenied => {
                fixed("AccessDeniedException", "You don't have permissions to access this resource.")
            }
            OrgError::AccountNotFound => {
                fixed("AccountNotFoundException", "You specified an account that doesn't exist.")
            }
            OrgError::RootNotFound => fixed("RootNotFoundException", "You specified a root that doesn't exist."),
            OrgError::ParentNotFound => {
                fixed("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
            }
            OrgError::SourceParentNotFound => fixed(
                "SourceParentNotFoundException",
                "We can't find a source root or OU with the ParentId that you specified.",
            ),
            OrgError::DestinationParentNotFound => fixed(
                "DestinationParentNotFoundException",
                "We can't find a destination root or OU with the ParentId that you specified.",
            ),
            OrgError::DuplicateAccount => {
                fixed("DuplicateAccountException", "That account is already present in the specified destination.")
            }
            OrgError::ChildNotFound => fixed(
                "ChildNotFoundException",
                "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
            ),
            OrgError::OuNotFound => fixed(
                "OrganizationalUnitNotFoundException",
                "We can't find an OU with the OrganizationalUnitId that you specified.",
            ),
            OrgError::DuplicateOu => {
                fixed("DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
            }
            OrgError::OuNotEmpty => fixed(
                "OrganizationalUnitNotEmptyException",
                "The specified OU is not empty. Move all accounts to another root or OU and delete all child OUs, then try the operation again.",
            ),
            OrgError::OrganizationNotEmpty => fixed(
                "OrganizationNotEmptyException",
                "To delete an organization you must first remove all member accounts (except the master).",
            ),
            OrgError::PolicyNotFound => {
                fixed("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
            }
            OrgError::DuplicatePolicy => {
                fixed("DuplicatePolicyException", "A policy with the same name already exists.")
            }
            OrgError::PolicyInUse => fixed(
                "PolicyInUseException",
                "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.",
            ),
            OrgError::TargetNotFound => fixed(
                "TargetNotFoundException",
                "We can't find a root, OU, account, or policy with the TargetId that you specified.",
            ),
            OrgError::DuplicatePolicyAttachment => fixed(
                "DuplicatePolicyAttachmentException",
                "The selected policy is already attached to the specified target.",
            ),
            OrgError::PolicyNotAttached => {
                fixed("PolicyNotAttachedException", "The specified policy is not attached to the specified target.")
            }
            OrgError::PolicyTypeNotEnabled => {
                fixed("PolicyTypeNotEnabledException", "This operation can be performed only for enabled policy types.")
            }
            OrgError::PolicyTypeAlreadyEnabled => {
                fixed("PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled.")
            }
            OrgError::MalformedPolicyDocument(m) => fixed("MalformedPolicyDocumentException", m),
            OrgError::ConstraintViolation(m) => fixed("ConstraintViolationException", m),
            OrgError::InvalidInput(m) => fixed("InvalidInputException", m),
            OrgError::CreateAccountStatusNotFound => fixed(
                "CreateAccountStatusNotFoundException",
                "We can't find an create account request with the CreateAccountRequestId that you specified.",
            ),
            OrgError::Common(e) => e.render(Flavor::Json),
        }
    }
}

impl From<CommonError> for OrgError {
    fn from(e: CommonError) -> Self {
        OrgError::Common(e)
    }
}

impl From<store::StoreError> for OrgError {
    fn from(e: store::StoreError) -> Self {
        OrgError::Common(e.into())
    }
}

impl fmt::Display for OrgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.parts().2)
    }
}

impl ServiceError for OrgError {
    fn code(&self) -> &str {
        self.parts().0
    }

    fn status(&self) -> u16 {
        self.parts().1
    }
}
