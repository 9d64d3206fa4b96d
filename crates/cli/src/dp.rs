//! `spcred dp ...`: the Amazon Data Portability side of the sandbox over the admin API: the
//! onboarding request (Identity and Security Assessment) as the developer works it, Amazon's
//! reviewer decisions, Amazon customers and their self-authorization.

use crate::AdminArgs;
use crate::admin::Admin;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum DpCommand {
    /// Onboarding requests (the developer's side of the Amazon Developer workspace).
    #[command(subcommand)]
    Request(RequestCommand),
    /// Stage one: identity verification.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Stage two: the business offering and privacy review.
    #[command(subcommand)]
    Privacy(QuestionnaireCommand),
    /// Stage three: the security onboarding review in the TPS portal.
    #[command(subcommand)]
    Security(SecurityCommand),
    /// Sandbox access for up to 5 of your Amazon accounts, after stages one and two.
    Sandbox(SandboxArgs),
    /// Full production access, after the security review.
    Production(IdArgs),
    /// Amazon's side: decide on a step of any review (onboarding, registration, listing).
    Review(ReviewArgs),
    /// Amazon's side: the reviewer queue, earliest due first, breaches marked.
    Queue(AdminOnly),
    /// Amazon's side: answer the developer on the case (or TPS consultation).
    Answer(MessageArgs),
    /// Security findings: issued and resolved by assessors, remediated by the developer.
    #[command(subcommand)]
    Finding(FindingCommand),
    /// Amazon customers (accounts with sample data for every scope).
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Self-authorization: a customer authorizes an app for scopes; prints the refresh token.
    Authorize(AuthorizeArgs),
}

#[derive(Args)]
pub struct AdminOnly {
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct IdArgs {
    /// The request (case) id.
    id: String,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum RequestCommand {
    /// Opens an onboarding request for an app.
    Create(CreateArgs),
    /// A request: stage, steps with their due dates and breaches, history, messages.
    Show(IdArgs),
    /// Every request.
    List(AdminOnly),
    /// Replies to the request's case (or, with --thread consultation, the TPS consultation).
    Reply(MessageArgs),
    /// Withdraws the request; its documents are deleted.
    Withdraw(WithdrawArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    /// The app: application id, client id or name.
    #[arg(long)]
    app: String,
    /// The data categories requested: 1, 2 and/or 3, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    categories: Vec<u8>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct MessageArgs {
    /// The request (case) id.
    id: String,
    /// The message.
    #[arg(long)]
    message: String,
    /// `case` or `consultation` (TPS).
    #[arg(long, default_value = "case", value_parser = ["case", "consultation"])]
    thread: String,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct WithdrawArgs {
    /// The request (case) id.
    id: String,
    /// Why (optional).
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum IdentityCommand {
    /// Submits company, representative, e-mail and the business license.
    Submit(IdentityArgs),
    /// Instant identity verification: a photo ID and an image of your face.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct IdentityArgs {
    /// The request (case) id.
    id: String,
    #[arg(long)]
    company_name: String,
    #[arg(long)]
    address: String,
    /// The business owner or legal representative.
    #[arg(long)]
    representative: String,
    #[arg(long)]
    email: String,
    /// The business license (PDF, PNG or JPEG, at most 10 MiB).
    #[arg(long)]
    license_file: PathBuf,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The request (case) id.
    id: String,
    /// The government-issued photo ID (PDF, PNG or JPEG).
    #[arg(long)]
    photo_id_file: PathBuf,
    /// The image of your face (PNG or JPEG).
    #[arg(long)]
    face_image_file: PathBuf,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum QuestionnaireCommand {
    /// The questions for these categories.
    Questions(QuestionsArgs),
    /// Submits the answers (a JSON object: question id -> answer) from a file.
    Submit(AnswersArgs),
}

#[derive(Args)]
pub struct QuestionsArgs {
    /// The categories requested, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    categories: Vec<u8>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct AnswersArgs {
    /// The request (case) id.
    id: String,
    /// A JSON file of answers: {"questionId": "answer", ...}.
    #[arg(long)]
    answers_file: PathBuf,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum SecurityCommand {
    /// The security questionnaire's questions for these categories.
    Questions(QuestionsArgs),
    /// Submits the questionnaire and evidence (after a denial, this appeals it).
    Submit(SecurityArgs),
    /// Invites a collaborator to the TPS portal by e-mail.
    Invite(InviteArgs),
}

#[derive(Args)]
pub struct SecurityArgs {
    /// The request (case) id.
    id: String,
    /// A JSON file of answers: {"questionId": "answer", ...}.
    #[arg(long)]
    answers_file: PathBuf,
    /// An evidence file (repeat; PDF, PNG, JPEG or text, at most 10 MiB each).
    #[arg(long = "evidence-file")]
    evidence_files: Vec<PathBuf>,
    /// Additional follow-up context.
    #[arg(long)]
    follow_up: Option<String>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct InviteArgs {
    /// The request (case) id.
    id: String,
    #[arg(long)]
    email: String,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct SandboxArgs {
    /// The request (case) id.
    id: String,
    /// The customer id of an Amazon account you own or control (repeat, up to 5).
    #[arg(long = "customer", required = true)]
    customers: Vec<String>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct ReviewArgs {
    /// The review (case) id.
    id: String,
    /// The step: business-license, identity-verification, privacy-review, sandbox-access,
    /// security-review, production-access; registration; listing.
    #[arg(long)]
    step: String,
    #[arg(long, value_parser = ["start", "approve", "deny", "request-info"])]
    decision: String,
    /// What the developer is told (required to deny or request information).
    #[arg(long)]
    message: Option<String>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum FindingCommand {
    /// An assessor issues a finding for remediation.
    Issue(IssueArgs),
    /// The developer remediates a finding.
    Remediate(RemediateArgs),
    /// An assessor resolves a remediated finding.
    Resolve(ResolveArgs),
}

#[derive(Args)]
pub struct IssueArgs {
    /// The request (case) id.
    id: String,
    #[arg(long)]
    title: String,
    #[arg(long)]
    detail: String,
    #[arg(long, value_parser = ["Low", "Medium", "High", "Critical"])]
    severity: String,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct RemediateArgs {
    /// The request (case) id.
    id: String,
    #[arg(long)]
    finding: String,
    #[arg(long)]
    remediation: String,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct ResolveArgs {
    /// The request (case) id.
    id: String,
    #[arg(long)]
    finding: String,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum CustomerCommand {
    /// Creates an Amazon customer; prints its customer id.
    Create(CustomerArgs),
    /// Every customer.
    List(AdminOnly),
}

#[derive(Args)]
pub struct CustomerArgs {
    #[arg(long)]
    name: String,
    #[arg(long)]
    email: String,
    /// How long this customer's data queries take to gather.
    #[arg(long, default_value_t = 2)]
    query_seconds: u32,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct AuthorizeArgs {
    /// The app: application id, client id or name.
    #[arg(long)]
    app: String,
    /// The customer id.
    #[arg(long)]
    customer: String,
    /// A Data Portability scope (repeat), e.g. portability::physical_orders.
    #[arg(long = "scope", required = true)]
    scopes: Vec<String>,
    #[command(flatten)]
    admin: AdminArgs,
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("-")
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > 10 * 1024 * 1024 {
        return Err(format!("{} is larger than 10 MiB, the most a document may be", path.display()));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn answers(path: &Path) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(&read(path)?).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    if v.is_object() { Ok(v) } else { Err(format!("{} must hold a JSON object of answers", path.display())) }
}

/// Uploads `path` as a document of `kind` to request `id`; returns its document id.
async fn upload(admin: &Admin, id: &str, kind: &str, path: &Path) -> Result<String, String> {
    let name = path.file_name().map_or_else(|| kind.to_owned(), |n| n.to_string_lossy().into_owned());
    let v = admin
        .upload(
            &format!("/_spcred/sp/reviews/{}/documents", seg(id)),
            &[("kind", kind.to_owned()), ("fileName", name)],
            read(path)?,
        )
        .await?;
    Ok(text(&v["documentId"]).to_owned())
}

fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Prints a review: its steps with their due dates and breaches, then its history.
pub fn print_review(v: &Value) {
    println!("id:        {}", text(&v["id"]));
    println!("kind:      {}", text(&v["kind"]));
    println!("status:    {}", text(&v["status"]));
    println!("stage:     {}", text(&v["currentStep"]));
    if let Some(c) = v["categories"].as_array() {
        println!(
            "categories requested: {}   unlocked: {}",
            join(c),
            join(v["unlockedCategories"].as_array().unwrap_or(&Vec::new()))
        );
        println!(
            "sandbox: {} {}   production: {}",
            v["sandboxAccess"],
            join(v["sandboxCustomers"].as_array().unwrap_or(&Vec::new())),
            v["productionAccess"]
        );
    }
    println!("steps:");
    for s in v["steps"].as_array().into_iter().flatten() {
        let breach = if s["breached"] == true { "  SLA BREACHED" } else { "" };
        println!(
            "  {:<22} {:<14} owner {:<9} due {}{breach}",
            text(&s["step"]),
            text(&s["state"]),
            text(&s["owner"]),
            text(&s["dueBy"])
        );
        if let Some(m) = s["message"].as_str() {
            println!("    {m}");
        }
    }
    println!("history:");
    for e in v["history"].as_array().into_iter().flatten() {
        println!(
            "  {} {:<9} {:<12} {} {}{}",
            text(&e["at"]),
            text(&e["actor"]),
            text(&e["action"]),
            text(&e["step"]),
            text(&e["state"]),
            e["message"].as_str().map(|m| format!(": {m}")).unwrap_or_default()
        );
    }
    for m in v["messages"].as_array().into_iter().flatten() {
        println!("  [{}] {} {}: {}", text(&m["thread"]), text(&m["at"]), text(&m["author"]), text(&m["body"]));
    }
    for f in v["findings"].as_array().into_iter().flatten() {
        println!(
            "  finding {} {} {}: {}",
            text(&f["findingId"]),
            text(&f["severity"]),
            text(&f["status"]),
            text(&f["title"])
        );
    }
}

fn join(values: &[Value]) -> String {
    values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect::<Vec<_>>().join(",")
}

fn show(admin: &Admin, v: &Value) {
    if admin.json {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    } else {
        print_review(v);
    }
}

fn path_of(id: &str, what: &str) -> String {
    format!("/_spcred/sp/dp/requests/{}/{what}", seg(id))
}

/// Runs an `spcred dp` command.
#[allow(clippy::too_many_lines)] // One arm per verb.
pub async fn run(command: DpCommand) -> Result<(), String> {
    match command {
        DpCommand::Request(RequestCommand::Create(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin
                .send_json(
                    Method::POST,
                    "/_spcred/sp/dp/requests",
                    &json!({"applicationId": a.app, "categories": a.categories}),
                )
                .await?;
            show(&admin, &v);
        }
        DpCommand::Request(RequestCommand::Show(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.get(&format!("/_spcred/sp/reviews/{}", seg(&a.id)), &[]).await?;
            show(&admin, &v);
        }
        DpCommand::Request(RequestCommand::List(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.get("/_spcred/sp/dp/requests", &[]).await?;
            if admin.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                for r in v["requests"].as_array().into_iter().flatten() {
                    println!(
                        "{}  {}  {:<10}  {}",
                        text(&r["id"]),
                        text(&r["applicationId"]),
                        text(&r["status"]),
                        text(&r["currentStep"])
                    );
                }
            }
        }
        DpCommand::Request(RequestCommand::Reply(a)) => message(a, "developer").await?,
        DpCommand::Answer(a) => message(a, "amazon").await?,
        DpCommand::Request(RequestCommand::Withdraw(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin
                .send_json(
                    Method::POST,
                    &format!("/_spcred/sp/reviews/{}/withdraw", seg(&a.id)),
                    &json!({"reason": a.reason}),
                )
                .await?;
            show(&admin, &v);
        }
        DpCommand::Identity(IdentityCommand::Submit(a)) => {
            let admin = Admin::new(&a.admin)?;
            let license = upload(&admin, &a.id, "business-license", &a.license_file).await?;
            let body = json!({"companyName": a.company_name, "address": a.address, "representative": a.representative, "email": a.email, "licenseDocumentId": license});
            let v = admin.send_json(Method::POST, &path_of(&a.id, "identity"), &body).await?;
            show(&admin, &v);
        }
        DpCommand::Identity(IdentityCommand::Verify(a)) => {
            let admin = Admin::new(&a.admin)?;
            let photo = upload(&admin, &a.id, "photo-id", &a.photo_id_file).await?;
            let face = upload(&admin, &a.id, "face-image", &a.face_image_file).await?;
            let body = json!({"photoIdDocumentId": photo, "faceImageDocumentId": face});
            let v = admin.send_json(Method::POST, &path_of(&a.id, "verification"), &body).await?;
            show(&admin, &v);
        }
        DpCommand::Privacy(QuestionnaireCommand::Questions(a)) => questions(a, "privacy").await?,
        DpCommand::Security(SecurityCommand::Questions(a)) => questions(a, "security").await?,
        DpCommand::Privacy(QuestionnaireCommand::Submit(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.send_json(Method::POST, &path_of(&a.id, "privacy"), &answers(&a.answers_file)?).await?;
            show(&admin, &v);
        }
        DpCommand::Security(SecurityCommand::Submit(a)) => {
            let admin = Admin::new(&a.admin)?;
            let mut evidence = Vec::new();
            for f in &a.evidence_files {
                evidence.push(upload(&admin, &a.id, "evidence", f).await?);
            }
            let body = json!({"answers": answers(&a.answers_file)?, "evidenceDocumentIds": evidence, "additionalFollowUp": a.follow_up});
            let v = admin.send_json(Method::POST, &path_of(&a.id, "security"), &body).await?;
            show(&admin, &v);
        }
        DpCommand::Security(SecurityCommand::Invite(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.send_json(Method::POST, &path_of(&a.id, "collaborators"), &json!({"email": a.email})).await?;
            show(&admin, &v);
        }
        DpCommand::Sandbox(a) => {
            let admin = Admin::new(&a.admin)?;
            let v =
                admin.send_json(Method::POST, &path_of(&a.id, "sandbox"), &json!({"customerIds": a.customers})).await?;
            show(&admin, &v);
        }
        DpCommand::Production(a) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.send_json(Method::POST, &path_of(&a.id, "production"), &json!({})).await?;
            show(&admin, &v);
        }
        DpCommand::Review(a) => {
            let admin = Admin::new(&a.admin)?;
            let body = json!({"step": a.step, "decision": a.decision, "message": a.message});
            let v =
                admin.send_json(Method::POST, &format!("/_spcred/sp/reviews/{}/decisions", seg(&a.id)), &body).await?;
            show(&admin, &v);
        }
        DpCommand::Queue(a) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.get("/_spcred/sp/reviews", &[]).await?;
            if admin.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                for q in v["queue"].as_array().into_iter().flatten() {
                    let breach = if q["breached"] == true { "  SLA BREACHED" } else { "" };
                    println!(
                        "{}  {:<12} {:<22} {:<10} due {}{breach}",
                        text(&q["id"]),
                        text(&q["kind"]),
                        text(&q["step"]),
                        text(&q["state"]),
                        text(&q["dueBy"])
                    );
                }
            }
        }
        DpCommand::Finding(FindingCommand::Issue(a)) => {
            let admin = Admin::new(&a.admin)?;
            let body = json!({"title": a.title, "detail": a.detail, "severity": a.severity});
            let v = admin.send_json(Method::POST, &path_of(&a.id, "findings"), &body).await?;
            show(&admin, &v);
        }
        DpCommand::Finding(FindingCommand::Remediate(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin
                .send_json(
                    Method::POST,
                    &path_of(&a.id, &format!("findings/{}", seg(&a.finding))),
                    &json!({"remediation": a.remediation}),
                )
                .await?;
            show(&admin, &v);
        }
        DpCommand::Finding(FindingCommand::Resolve(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin
                .send_json(Method::POST, &path_of(&a.id, &format!("findings/{}", seg(&a.finding))), &json!({}))
                .await?;
            show(&admin, &v);
        }
        DpCommand::Customer(CustomerCommand::Create(a)) => {
            let admin = Admin::new(&a.admin)?;
            let body = json!({"name": a.name, "email": a.email, "querySeconds": a.query_seconds});
            let v = admin.send_json(Method::POST, "/_spcred/sp/dp/customers", &body).await?;
            if admin.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("customerId: {}", text(&v["customerId"]));
            }
        }
        DpCommand::Customer(CustomerCommand::List(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.get("/_spcred/sp/dp/customers", &[]).await?;
            if admin.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                for c in v["customers"].as_array().into_iter().flatten() {
                    println!("{}  {}  {}", text(&c["customerId"]), text(&c["name"]), text(&c["email"]));
                }
            }
        }
        DpCommand::Authorize(a) => {
            let admin = Admin::new(&a.admin)?;
            let body = json!({"applicationId": a.app, "customerId": a.customer, "scopes": a.scopes});
            let v = admin.send_json(Method::POST, "/_spcred/sp/dp/authorizations", &body).await?;
            if admin.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("refreshToken: {}", text(&v["refreshToken"]));
            }
        }
    }
    Ok(())
}

async fn message(a: MessageArgs, from: &str) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let body = json!({"thread": a.thread, "from": from, "body": a.message});
    let v = admin.send_json(Method::POST, &format!("/_spcred/sp/reviews/{}/messages", seg(&a.id)), &body).await?;
    show(&admin, &v);
    Ok(())
}

async fn questions(a: QuestionsArgs, set: &str) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let cats = a.categories.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
    let v = admin.get(&format!("/_spcred/sp/dp/questionnaires/{set}"), &[("categories", cats)]).await?;
    if admin.json {
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for q in v["questions"].as_array().into_iter().flatten() {
            println!("{:<28} {}", text(&q["id"]), text(&q["text"]));
        }
    }
    Ok(())
}
