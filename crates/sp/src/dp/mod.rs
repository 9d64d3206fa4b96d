//! Amazon Data Portability: the Identity and Security Assessment (the onboarding request, run
//! by the review engine as [`ONBOARDING`]), Amazon customers with sample data, their
//! authorization of applications with Data Portability scopes, and the Data Portability API
//! itself ([`api`]).

pub(crate) mod api;
pub(crate) mod consent;
mod sample;
pub(crate) mod scopes;

use crate::apps::ConsoleError;
use crate::documents::require_document;
use crate::flows::ONBOARDING;
use crate::lwa::REFRESH_TOKEN;
use crate::review::{Action, Actor, Data, Moved, State};
use crate::{Sandbox, commit, iso_ms};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::review as repo;
use store::{dp, sp};

/// Sandbox access names at most this many customers.
pub(crate) const MAX_SANDBOX_CUSTOMERS: usize = 5;

/// A question of the privacy or security questionnaire.
#[derive(Debug)]
pub struct Question {
    pub id: &'static str,
    pub text: &'static str,
    /// Asked when any of these categories is requested (empty: always).
    pub categories: &'static [u8],
}

const fn q(id: &'static str, text: &'static str, categories: &'static [u8]) -> Question {
    Question { id, text, categories }
}

/// The business offering and privacy questionnaire; its questions vary with the categories
/// requested.
pub const PRIVACY_QUESTIONS: &[Question] = &[
    q("businessOffering", "Describe your business offering and how your Application uses customer data.", &[]),
    q("privacyPolicyUrl", "The URL of the privacy policy shown to customers.", &[]),
    q("dataRetention", "How long do you keep customer data obtained through the API, and why?", &[]),
    q("dataDeletion", "How does a customer ask for their data to be deleted, and how fast do you delete it?", &[]),
    q("thirdPartySharing", "With which third parties do you share the data, and for what purpose?", &[]),
    q("purchaseDataUse", "How do you use order and purchase history (category 2 data)?", &[2, 3]),
    q("crossBorderTransfers", "Do you transfer the data outside the EEA? Under which safeguards?", &[2, 3]),
    q("sensitiveDataJustification", "Why does your offering need category 3 data, and who may see it?", &[3]),
];

/// The security questionnaire of the TPS portal.
pub const SECURITY_QUESTIONS: &[Question] = &[
    q("encryptionAtRest", "How is customer data encrypted at rest (algorithm, key management)?", &[]),
    q("encryptionInTransit", "How is customer data protected in transit (TLS versions)?", &[]),
    q("accessControl", "Who can access customer data, and how is access granted, reviewed and revoked?", &[]),
    q("incidentResponse", "Describe your incident response plan and how you notify Amazon of incidents.", &[]),
    q("vulnerabilityManagement", "How do you find and fix vulnerabilities (scans, patching timelines)?", &[]),
    q("logging", "What do you log about access to customer data, and how long do you keep it?", &[]),
    q("sensitiveDataIsolation", "How are category 3 data kept apart from other data?", &[3]),
];

/// The questions asked of a request for `categories`.
pub fn questions<'a>(set: &'a [Question], categories: &[u8]) -> Vec<&'a Question> {
    set.iter().filter(|q| q.categories.is_empty() || q.categories.iter().any(|c| categories.contains(c))).collect()
}

/// Checks answers against the questions asked: every one answered, none unknown.
fn check_answers(set: &[Question], categories: &[u8], answers: &Map<String, Value>) -> Result<(), ConsoleError> {
    let asked = questions(set, categories);
    if let Some(k) = answers.keys().find(|k| !asked.iter().any(|q| q.id == k.as_str())) {
        let ids: Vec<&str> = asked.iter().map(|q| q.id).collect();
        return Err(ConsoleError::invalid(format!(
            "{k:?} is not a question of this questionnaire; it asks: {}",
            ids.join(", ")
        )));
    }
    for q in asked {
        match answers.get(q.id).and_then(Value::as_str) {
            Some(a) if !a.trim().is_empty() && a.len() <= 8192 => {}
            Some(_) => {
                return Err(ConsoleError::invalid(format!("the answer to {} must be 1 to 8192 characters", q.id)));
            }
            None => {
                return Err(ConsoleError::invalid(format!(
                    "the questionnaire needs an answer to {}: {}",
                    q.id, q.text
                )));
            }
        }
    }
    Ok(())
}

pub(crate) fn questions_json(set: &[Question], categories: &[u8]) -> Value {
    json!(questions(set, categories).iter().map(|q| json!({"id": q.id, "text": q.text})).collect::<Vec<_>>())
}

/// A new onboarding request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRequest {
    pub application_id: String,
    pub categories: Vec<u8>,
}

/// Stage one's submission.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Identity {
    pub company_name: String,
    pub address: String,
    pub representative: String,
    pub email: String,
    pub license_document_id: String,
}

/// Instant identity verification.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verification {
    pub photo_id_document_id: String,
    pub face_image_document_id: String,
}

/// The security questionnaire in the TPS portal.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Security {
    pub answers: Map<String, Value>,
    #[serde(default)]
    pub evidence_document_ids: Vec<String>,
    #[serde(default)]
    pub additional_follow_up: Option<String>,
}

fn text(what: &str, value: &str, max: usize) -> Result<(), ConsoleError> {
    if value.trim().is_empty() || value.chars().count() > max {
        return Err(ConsoleError::invalid(format!("{what} must be 1 to {max} characters")));
    }
    Ok(())
}

impl Sandbox {
    /// Opens an onboarding request for an app (one in progress per app).
    pub async fn create_request(&self, new: &NewRequest) -> Result<Value, ConsoleError> {
        let mut categories = new.categories.clone();
        categories.sort_unstable();
        categories.dedup();
        if categories.is_empty() || categories.iter().any(|c| !(1..=3).contains(c)) {
            return Err(ConsoleError::invalid("categories must name 1, 2 and/or 3"));
        }
        let app = self.find_app(&new.application_id).await?;
        let mut tx = self.begin().await?;
        let live = repo::reviews(&mut tx, ONBOARDING.kind, Some(&app.app_id)).await?;
        if let Some(r) = live.iter().find(|r| r.status == "InProgress") {
            return Err(ConsoleError::invalid(format!(
                "{} already has an onboarding request in progress: {}",
                app.app_id, r.review_id
            )));
        }
        let email = sp::developer_by_id(&mut tx, &app.developer_id)
            .await?
            .and_then(|d| serde_json::from_str::<Value>(&d.profile).ok())
            .and_then(|p| p.pointer("/contact/email").and_then(Value::as_str).map(str::to_owned));
        let data = Data { email, categories: categories.clone(), ..Data::default() };
        let id = self.ids().case_id();
        let security = categories.iter().any(|c| *c >= 2);
        let review = self
            .open_review(&mut tx, &ONBOARDING, &id, &app.app_id, &data, |s| security || s.name != "security-review")
            .await?;
        commit(tx).await?;
        self.request_view(&review).await
    }

    /// Commits `tx` and shows the request `id` as it now is.
    async fn commit_and_show(&self, tx: store::Tx, id: &str) -> Result<Value, ConsoleError> {
        commit(tx).await?;
        let review = self.find_request(id).await?;
        self.request_view(&review).await
    }

    /// An onboarding request as the workspace shows it.
    pub(crate) async fn request_view(&self, review: &repo::Review) -> Result<Value, ConsoleError> {
        let mut view = self.review_view(&ONBOARDING, review).await?;
        let data = Data::of(review);
        let mut conn = self.reader().await?;
        let findings = repo::findings(&mut conn, &review.review_id).await?;
        let collaborators = repo::collaborators(&mut conn, &review.review_id).await?;
        view["applicationId"] = json!(review.subject);
        view["categories"] = json!(data.categories);
        view["unlockedCategories"] = json!(data.unlocked);
        view["sandboxCustomers"] = json!(data.sandbox_customers);
        view["sandboxAccess"] = json!(data.sandbox_granted);
        view["productionAccess"] = json!(data.production);
        view["findings"] = json!(
            findings
                .iter()
                .map(|f| json!({
                    "findingId": f.finding_id, "title": f.title, "detail": f.detail, "severity": f.severity,
                    "status": f.status, "remediation": f.remediation, "issuedAt": iso_ms(f.created_ms),
                }))
                .collect::<Vec<_>>()
        );
        view["collaborators"] = json!(
            collaborators.iter().map(|(e, at)| json!({"email": e, "invitedAt": iso_ms(*at)})).collect::<Vec<_>>()
        );
        Ok(view)
    }

    /// The onboarding request `id`.
    pub async fn find_request(&self, id: &str) -> Result<repo::Review, ConsoleError> {
        let mut conn = self.reader().await?;
        repo::review(&mut conn, id)
            .await?
            .filter(|r| r.kind == ONBOARDING.kind)
            .ok_or_else(|| ConsoleError::not_found(format!("no onboarding request {id}")))
    }

    /// A developer's submission on `step` (the form sealed with it), in one transaction.
    async fn submit(
        &self,
        id: &str,
        step: &str,
        action: Action,
        form: &Value,
        update: impl FnOnce(&mut Data),
    ) -> Result<Value, ConsoleError> {
        let mut tx = self.begin().await?;
        let mut review = self.live_review(&mut tx, &ONBOARDING, id).await?;
        let mut data = Data::of(&review);
        update(&mut data);
        review.data = data.to_text();
        repo::put_review(&mut tx, &review).await?;
        let moved = self.move_step(&mut tx, &ONBOARDING, id, step, action, None, Some(form)).await?;
        commit(tx).await?;
        self.request_view(&moved.review).await
    }

    /// Stage one: company, representative, e-mail and business license.
    pub async fn submit_identity(&self, id: &str, form: &Identity) -> Result<Value, ConsoleError> {
        text("companyName", &form.company_name, 256)?;
        text("address", &form.address, 1024)?;
        text("representative", &form.representative, 256)?;
        text("email", &form.email, 254)?;
        if !form.email.contains('@') {
            return Err(ConsoleError::invalid(format!("{:?} is not an e-mail address", form.email)));
        }
        let docs = self.documents_of(id).await?;
        require_document(&docs, &form.license_document_id, "business-license")?;
        let v = json!({
            "companyName": form.company_name, "address": form.address, "representative": form.representative,
            "email": form.email, "licenseDocumentId": form.license_document_id,
        });
        let email = form.email.clone();
        self.submit(id, "business-license", Action::Submit, &v, |d| d.email = Some(email)).await
    }

    async fn documents_of(&self, id: &str) -> Result<Vec<repo::Document>, ConsoleError> {
        let mut conn = self.reader().await?;
        Ok(repo::documents(&mut conn, id).await?)
    }

    /// Instant identity verification: a photo ID and a face image.
    pub async fn verify_identity(&self, id: &str, form: &Verification) -> Result<Value, ConsoleError> {
        let docs = self.documents_of(id).await?;
        require_document(&docs, &form.photo_id_document_id, "photo-id")?;
        require_document(&docs, &form.face_image_document_id, "face-image")?;
        let v =
            json!({"photoIdDocumentId": form.photo_id_document_id, "faceImageDocumentId": form.face_image_document_id});
        self.submit(id, "identity-verification", Action::Submit, &v, |_| {}).await
    }

    /// Stage two: the business offering and privacy questionnaire (again whenever data
    /// handling changes).
    pub async fn submit_privacy(&self, id: &str, answers: &Map<String, Value>) -> Result<Value, ConsoleError> {
        let review = self.find_request(id).await?;
        check_answers(PRIVACY_QUESTIONS, &Data::of(&review).categories, answers)?;
        self.submit(id, "privacy-review", Action::Submit, &Value::Object(answers.clone()), |_| {}).await
    }

    /// Stage three: the security questionnaire and evidence; after a denial, the remediated
    /// answers appeal it.
    pub async fn submit_security(&self, id: &str, form: &Security) -> Result<Value, ConsoleError> {
        let review = self.find_request(id).await?;
        check_answers(SECURITY_QUESTIONS, &Data::of(&review).categories, &form.answers)?;
        if form.evidence_document_ids.len() > 50 {
            return Err(ConsoleError::invalid("at most 50 evidence documents"));
        }
        let docs = self.documents_of(id).await?;
        for d in &form.evidence_document_ids {
            require_document(&docs, d, "evidence")?;
        }
        if let Some(t) = &form.additional_follow_up {
            text("additionalFollowUp", t, 8192)?;
        }
        let mut conn = self.reader().await?;
        let denied = repo::steps(&mut conn, id)
            .await?
            .iter()
            .any(|s| s.step == "security-review" && s.state == State::Denied.as_str());
        drop(conn);
        let action = if denied { Action::Appeal } else { Action::Submit };
        let v = json!({"answers": form.answers, "evidenceDocumentIds": form.evidence_document_ids, "additionalFollowUp": form.additional_follow_up});
        self.submit(id, "security-review", action, &v, |_| {}).await
    }

    /// Sandbox access for up to 5 customers, after stages one and two.
    pub async fn request_sandbox(&self, id: &str, customers: &[String]) -> Result<Value, ConsoleError> {
        if customers.is_empty() {
            return Err(ConsoleError::invalid("name the customer ids of up to 5 Amazon accounts you own or control"));
        }
        let mut ids: Vec<String> = Vec::new();
        for c in customers {
            if !ids.contains(c) {
                ids.push(c.clone());
            }
        }
        if ids.len() > MAX_SANDBOX_CUSTOMERS {
            return Err(ConsoleError::invalid(format!(
                "sandbox access is limited to {MAX_SANDBOX_CUSTOMERS} Amazon accounts; {} were given",
                ids.len()
            )));
        }
        let mut conn = self.reader().await?;
        for c in &ids {
            if dp::customer(&mut conn, c).await?.is_none() {
                return Err(ConsoleError::invalid(format!(
                    "{c} is not an Amazon customer id (spcred dp customer list)"
                )));
            }
        }
        drop(conn);
        let v = json!({"customerIds": ids});
        self.submit(id, "sandbox-access", Action::Submit, &v, |d| d.sandbox_customers = ids).await
    }

    /// Full production access, after the security review.
    pub async fn request_production(&self, id: &str) -> Result<Value, ConsoleError> {
        self.submit(id, "production-access", Action::Submit, &json!({}), |_| {}).await
    }

    /// Invites a collaborator to the TPS assessment, by e-mail.
    pub async fn invite_collaborator(&self, id: &str, email: &str) -> Result<Value, ConsoleError> {
        text("email", email, 254)?;
        if !email.contains('@') {
            return Err(ConsoleError::invalid(format!("{email:?} is not an e-mail address")));
        }
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let review = self.live_review(&mut tx, &ONBOARDING, id).await?;
        if repo::collaborators(&mut tx, id).await?.len() >= 20 {
            return Err(ConsoleError::invalid("an assessment has at most 20 collaborators"));
        }
        if repo::add_collaborator(&mut tx, id, email, now).await? {
            let body = format!(
                "You are invited to collaborate on the security onboarding review of request {id} in the TPS portal.\n\nLog in with this e-mail address to answer the security questionnaire and upload evidence.\n"
            );
            self.mail(
                &mut tx,
                &ONBOARDING,
                &review,
                email,
                "Invitation to the Third-Party Security (TPS) portal",
                &body,
                now,
            )
            .await?;
        }
        self.commit_and_show(tx, id).await
    }

    /// An assessor issues a finding for remediation.
    pub async fn issue_finding(
        &self,
        id: &str,
        title: &str,
        detail: &str,
        severity: &str,
    ) -> Result<Value, ConsoleError> {
        text("title", title, 256)?;
        text("detail", detail, 8192)?;
        if !matches!(severity, "Low" | "Medium" | "High" | "Critical") {
            return Err(ConsoleError::invalid("severity is Low, Medium, High or Critical"));
        }
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let review = self.live_review(&mut tx, &ONBOARDING, id).await?;
        if repo::findings(&mut tx, id).await?.len() >= 100 {
            return Err(ConsoleError::invalid("an assessment has at most 100 findings"));
        }
        let f = repo::Finding {
            finding_id: self.ids().uuid(),
            review_id: id.to_owned(),
            title: title.to_owned(),
            detail: detail.to_owned(),
            severity: severity.to_owned(),
            status: "Open".into(),
            remediation: None,
            created_ms: now,
            updated_ms: now,
        };
        repo::put_finding(&mut tx, &f).await?;
        if let Some(email) = Data::of(&review).email {
            let body =
                format!("A security assessor issued a finding for remediation ({severity}): {title}\n\n{detail}\n");
            self.mail(&mut tx, &ONBOARDING, &review, &email, &format!("Security finding on request {id}"), &body, now)
                .await?;
        }
        self.commit_and_show(tx, id).await
    }

    /// The developer remediates a finding, or the assessor resolves it.
    pub async fn update_finding(
        &self,
        id: &str,
        finding: &str,
        remediation: Option<&str>,
    ) -> Result<Value, ConsoleError> {
        let mut tx = self.begin().await?;
        self.live_review(&mut tx, &ONBOARDING, id).await?;
        let mut f = repo::findings(&mut tx, id)
            .await?
            .into_iter()
            .find(|f| f.finding_id == finding)
            .ok_or_else(|| ConsoleError::not_found(format!("no finding {finding} in {id}")))?;
        if let Some(r) = remediation {
            text("remediation", r, 8192)?;
            if f.status == "Resolved" {
                return Err(ConsoleError {
                    code: "IllegalTransition",
                    message: format!("the finding {finding} is already resolved"),
                });
            }
            f.status = "Remediated".into();
            f.remediation = Some(r.to_owned());
        } else {
            if f.status != "Remediated" {
                return Err(ConsoleError {
                    code: "IllegalTransition",
                    message: format!("the finding {finding} is {}: it can be resolved once remediated", f.status),
                });
            }
            f.status = "Resolved".into();
        }
        f.updated_ms = self.now_ms();
        repo::put_finding(&mut tx, &f).await?;
        self.commit_and_show(tx, id).await
    }

    /// What an onboarding decision unlocks, in the decision's transaction. The security review
    /// is approved only once every finding is resolved.
    pub(crate) async fn onboarding_decided(&self, tx: &mut store::Tx, moved: &Moved) -> Result<(), ConsoleError> {
        let mut review = moved.review.clone();
        let mut data = Data::of(&review);
        match (moved.step.name, moved.state) {
            ("privacy-review", State::Approved) => {
                if !data.unlocked.contains(&1) && data.categories.contains(&1) {
                    data.unlocked.push(1);
                }
            }
            ("privacy-review", State::Denied) => data.unlocked.retain(|c| *c != 1),
            ("security-review", State::Approved) => {
                let open =
                    repo::findings(tx, &review.review_id).await?.into_iter().filter(|f| f.status != "Resolved").count();
                if open > 0 {
                    return Err(ConsoleError {
                        code: "IllegalTransition",
                        message: format!(
                            "{open} finding(s) are not resolved; the security review completes once every risk is resolved"
                        ),
                    });
                }
                for c in [2, 3] {
                    if data.categories.contains(&c) && !data.unlocked.contains(&c) {
                        data.unlocked.push(c);
                    }
                }
            }
            ("sandbox-access", State::Approved) => data.sandbox_granted = true,
            ("production-access", State::Approved) => data.production = true,
            _ => return Ok(()),
        }
        data.unlocked.sort_unstable();
        review.data = data.to_text();
        repo::put_review(tx, &review).await?;
        Ok(())
    }

    /// Creates an Amazon customer (with sample data for every scope).
    pub(crate) async fn create_customer(
        &self,
        name: &str,
        email: &str,
        query_seconds: u32,
    ) -> Result<Value, ConsoleError> {
        text("name", name, 256)?;
        text("email", email, 254)?;
        if !email.contains('@') {
            return Err(ConsoleError::invalid(format!("{email:?} is not an e-mail address")));
        }
        if query_seconds > 86_400 {
            return Err(ConsoleError::invalid("querySeconds is at most 86400"));
        }
        let c = dp::Customer {
            customer_id: self.ids().customer_id(),
            name: name.to_owned(),
            email: email.to_owned(),
            query_ms: i64::from(query_seconds) * 1000,
            created_ms: self.now_ms(),
        };
        let mut tx = self.begin().await?;
        dp::insert_customer(&mut tx, &c).await?;
        commit(tx).await?;
        Ok(customer_json(&c))
    }

    /// Self-authorization: `customer` authorizes `app` for `scopes`; returns a refresh token.
    pub(crate) async fn authorize_customer(
        &self,
        app: &sp::App,
        customer: &str,
        scopes: &[String],
        via: &str,
    ) -> Result<crypto::Secret, ConsoleError> {
        let granted = scopes::parse_list(scopes).map_err(ConsoleError::invalid)?;
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        dp::customer(&mut tx, customer)
            .await?
            .ok_or_else(|| ConsoleError::not_found(format!("no Amazon customer {customer}")))?;
        let refresh = crypto::Secret::new(self.ids().refresh_token());
        let a = dp::Authorization {
            id: 0,
            app_id: app.app_id.clone(),
            customer_id: customer.to_owned(),
            scopes: granted.join(" "),
            created_ms: now,
            revoked_ms: None,
        };
        dp::insert_authorization(&mut tx, &a, &self.verifier(REFRESH_TOKEN, refresh.expose()), via).await?;
        commit(tx).await?;
        Ok(refresh)
    }
}

pub(crate) fn customer_json(c: &dp::Customer) -> Value {
    json!({"customerId": c.customer_id, "name": c.name, "email": c.email, "querySeconds": c.query_ms / 1000, "createdAt": iso_ms(c.created_ms)})
}

/// The review `id` and its flow.
async fn review_of(
    conn: &mut store::Conn,
    id: &str,
) -> Result<(repo::Review, &'static crate::review::Flow), ConsoleError> {
    let review = repo::review(conn, id).await?.ok_or_else(|| ConsoleError::not_found(format!("no review {id}")))?;
    let flow = crate::flows::by_kind(&review.kind).ok_or_else(|| ConsoleError::not_found(format!("no review {id}")))?;
    Ok((review, flow))
}

/// A reviewer's decision on any review: the move, then what it changes for its kind.
impl Sandbox {
    /// The review `id` and its flow, read outside a transaction.
    async fn review_of(&self, id: &str) -> Result<(repo::Review, &'static crate::review::Flow), ConsoleError> {
        let mut conn = self.reader().await?;
        review_of(&mut conn, id).await
    }

    /// A reviewer's decision (`start`, `approve`, `deny`, `request-info`) on a step of review `id`.
    pub async fn decide(
        &self,
        id: &str,
        step: &str,
        decision: &str,
        message: Option<&str>,
    ) -> Result<Value, ConsoleError> {
        let action = crate::review::Action::decision(decision)
            .ok_or_else(|| ConsoleError::invalid("the decision is start, approve, deny or request-info"))?;
        if matches!(action, Action::Deny | Action::RequestInfo) && message.is_none_or(|m| m.trim().is_empty()) {
            return Err(ConsoleError::invalid(
                "a denial or a request for information needs a --message for the developer",
            ));
        }
        let mut tx = self.begin().await?;
        let (_, flow) = review_of(&mut tx, id).await?;
        let moved = self.move_step(&mut tx, flow, id, step, action, message, None).await?;
        match flow.kind {
            "registration" => self.registration_decided(&mut tx, &moved).await?,
            "listing" => self.listing_decided(&mut tx, &moved).await?,
            _ => self.onboarding_decided(&mut tx, &moved).await?,
        }
        commit(tx).await?;
        self.any_review_view(id).await
    }

    /// Any review by id, as its kind shows it.
    pub async fn any_review_view(&self, id: &str) -> Result<Value, ConsoleError> {
        let (review, flow) = self.review_of(id).await?;
        if flow.kind == ONBOARDING.kind {
            self.request_view(&review).await
        } else {
            self.review_view(flow, &review).await
        }
    }

    /// Amazon's reviewer queue: every step waiting on Amazon, the earliest due first.
    pub async fn reviewer_queue(&self) -> Result<Value, ConsoleError> {
        let now = self.now_ms();
        let mut conn = self.reader().await?;
        let mut rows = Vec::new();
        for kind in ["registration", "listing", "onboarding"] {
            for r in repo::reviews(&mut conn, kind, None).await?.into_iter().filter(|r| r.status == "InProgress") {
                for s in repo::steps(&mut conn, &r.review_id).await?.into_iter().filter(|s| s.owner == "amazon") {
                    rows.push((s.due_ms.unwrap_or(i64::MAX), r.review_id.clone(), kind, s));
                }
            }
        }
        rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(json!({"queue": rows.iter().map(|(due, id, kind, s)| json!({
            "id": id, "kind": kind, "step": s.step, "state": s.state, "dueBy": s.due_ms.map(iso_ms),
            "breached": s.breached || *due < now,
        })).collect::<Vec<_>>()}))
    }

    /// The developer's submission on a step, opened for the reviewer.
    pub async fn submission(&self, id: &str, step: &str) -> Result<Value, ConsoleError> {
        let mut conn = self.reader().await?;
        let s = repo::steps(&mut conn, id)
            .await?
            .into_iter()
            .find(|s| s.step == step)
            .ok_or_else(|| ConsoleError::not_found(format!("no step {step} in {id}")))?;
        Ok(self.open_submission(&s).unwrap_or(Value::Null))
    }

    /// The developer or Amazon writes on the case or consultation thread.
    pub async fn reply(&self, id: &str, thread: &str, from: &str, body: &str) -> Result<Value, ConsoleError> {
        let (_, flow) = self.review_of(id).await?;
        let actor = match from {
            "developer" => Actor::Developer,
            "amazon" => Actor::Amazon,
            _ => return Err(ConsoleError::invalid("from is developer or amazon")),
        };
        self.post_message(flow, id, thread, actor, body).await?;
        self.any_review_view(id).await
    }

    /// The developer withdraws a review.
    pub async fn withdraw_any(&self, id: &str, reason: Option<&str>) -> Result<Value, ConsoleError> {
        let (_, flow) = self.review_of(id).await?;
        self.withdraw(flow, id, reason).await?;
        self.any_review_view(id).await
    }

    /// Uploads a document to a review in progress.
    pub async fn upload(&self, id: &str, kind: &str, file_name: &str, bytes: &[u8]) -> Result<Value, ConsoleError> {
        let mut tx = self.begin().await?;
        let (_, flow) = review_of(&mut tx, id).await?;
        self.live_review(&mut tx, flow, id).await?;
        let doc = self.add_document(&mut tx, id, kind, file_name, bytes).await?;
        commit(tx).await?;
        Ok(crate::documents::document_json(&doc))
    }
}

impl Sandbox {
    /// The onboarding requests of a developer's apps (the admin API's: every request).
    pub async fn list_requests(&self, dev: crate::Dev<'_>) -> Result<Value, ConsoleError> {
        let mut conn = self.reader().await?;
        let mut all = repo::reviews(&mut conn, ONBOARDING.kind, None).await?;
        if let crate::Dev::Id(developer) = dev {
            let mine: Vec<String> = sp::apps_of(&mut conn, developer).await?.into_iter().map(|a| a.app_id).collect();
            all.retain(|r| mine.contains(&r.subject));
        }
        drop(conn);
        let mut out = Vec::with_capacity(all.len());
        for r in &all {
            out.push(self.request_view(r).await?);
        }
        Ok(json!({"requests": out}))
    }

    /// Every Amazon customer.
    pub(crate) async fn list_customers(&self) -> Result<Value, ConsoleError> {
        let mut conn = self.reader().await?;
        let all = dp::customers(&mut conn).await?;
        Ok(json!({"customers": all.iter().map(customer_json).collect::<Vec<_>>()}))
    }
}
