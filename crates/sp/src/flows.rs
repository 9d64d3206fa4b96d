//! The reviews Amazon runs, as [`Flow`]s of the review engine, with the SLAs the seller guides
//! and the Data Portability onboarding guidelines give (in business days).

use crate::review::{Flow, StepSpec};

const fn step(name: &'static str, title: &'static str, start_days: u32, review_days: u32) -> StepSpec {
    StepSpec {
        name,
        title,
        start_days,
        review_days,
        appeal_days: None,
        reopens: false,
        after: &[],
        optional: false,
        withhold_reason: false,
    }
}

/// The developer registration: "Amazon has manual verification steps"; the guides give no time,
/// so the sandbox answers within 5 business days, starting within 2.
pub(crate) static REGISTRATION: Flow = Flow {
    kind: "registration",
    title: "developer registration",
    steps: &[StepSpec { reopens: true, ..step("registration", "Developer registration review", 2, 5) }],
};

/// The app listing: "reviewed and approved by Amazon, which may take up to two weeks".
pub(crate) static LISTING: Flow = Flow {
    kind: "listing",
    title: "app listing",
    steps: &[StepSpec { reopens: true, ..step("listing", "App listing review", 0, 10) }],
};

/// The Identity and Security Assessment of a Data Portability application.
pub(crate) static ONBOARDING: Flow = Flow {
    kind: "onboarding",
    title: "onboarding request",
    steps: &[
        // Stage one: identity verification. Business license verification and denied party
        // screening within 5 business days (review started within 1-2), then the invitation to
        // instant identity verification, reviewed within 3.
        StepSpec {
            withhold_reason: true,
            ..step("business-license", "Business license verification and denied party screening", 2, 5)
        },
        StepSpec {
            after: &["business-license"],
            ..step("identity-verification", "Instant identity verification", 0, 3)
        },
        // Stage two: business offering and privacy review, within 5 business days; updated
        // whenever data handling changes.
        StepSpec {
            reopens: true,
            after: &["identity-verification"],
            ..step("privacy-review", "Business offering and privacy review", 2, 5)
        },
        // Optional: sandbox access for up to 5 customers, granted within 3 business days.
        StepSpec {
            optional: true,
            after: &["identity-verification", "privacy-review"],
            ..step("sandbox-access", "Sandbox access", 0, 3)
        },
        // Stage three: the security onboarding review in the TPS portal, started within 1
        // business day, reviewed within 3 of each submission, appeals answered within 3.
        StepSpec {
            appeal_days: Some(3),
            after: &["privacy-review"],
            ..step("security-review", "Security onboarding review", 1, 3)
        },
        // Full production access, requested after the security review.
        StepSpec {
            after: &["privacy-review", "security-review"],
            ..step("production-access", "Production access", 0, 3)
        },
    ],
};

/// The flow of a review kind.
pub(crate) fn by_kind(kind: &str) -> Option<&'static Flow> {
    [&REGISTRATION, &LISTING, &ONBOARDING].into_iter().find(|f| f.kind == kind)
}
