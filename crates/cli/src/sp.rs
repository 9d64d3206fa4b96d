//! `spcred sp ...`: Developer Central of the SP-API sandbox, over the admin API.

use crate::AdminArgs;
use crate::admin::Admin;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum SpCommand {
    /// The developer profile (Developer Central's registration form).
    #[command(subcommand)]
    Developer(DeveloperCommand),
    /// App clients and their LWA credentials.
    #[command(subcommand)]
    App(AppCommand),
    /// Selling partners (with sample orders).
    #[command(subcommand)]
    Seller(SellerCommand),
    /// Self-authorization: a selling partner authorizes an app; prints the refresh token.
    Authorize(PairArgs),
    /// Revokes a selling partner's authorizations of an app.
    Revoke(PairArgs),
    /// The application notifications' SQS queues.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// App listings ("View App listings", "Add App Listing", "Save and submit").
    #[command(subcommand)]
    Listing(ListingCommand),
}

#[derive(Subcommand)]
pub enum ListingCommand {
    /// "Add App Listing": saves the "List your App" form and uploads its images.
    Create(Box<ListingArgs>),
    /// "Save and submit": sends the listing to Amazon's review (up to two weeks).
    Submit(AppArgs),
    /// The listing, its images and its review.
    Show(AppArgs),
}

#[derive(Args)]
pub struct ListingArgs {
    /// The app: application id, client id or name.
    #[arg(long)]
    app: String,
    /// App information: the name shown in the Appstore.
    #[arg(long)]
    name: String,
    /// App information: a one-line description (at most 200 characters).
    #[arg(long)]
    short_description: String,
    /// App information: the full description.
    #[arg(long)]
    description: String,
    /// App information: the Appstore category (e.g. "Order Management").
    #[arg(long)]
    category: String,
    /// App information: the website (https://).
    #[arg(long)]
    website: String,
    /// App information: the support e-mail.
    #[arg(long)]
    support_email: String,
    /// Pricing: Free, Paid, Subscription or FreeTrial.
    #[arg(long, default_value = "Free")]
    pricing: String,
    /// Pricing: the price (for Paid, Subscription, FreeTrial).
    #[arg(long)]
    price: Option<String>,
    /// Pricing: the currency (ISO 4217).
    #[arg(long)]
    currency: Option<String>,
    /// Details: a feature (repeat, 1 to 10).
    #[arg(long = "feature", required = true)]
    features: Vec<String>,
    /// Details: a marketplace id (repeat) [default: ATVPDKIKX0DER].
    #[arg(long = "marketplace")]
    marketplaces: Vec<String>,
    /// The logo: a square PNG or JPEG, 300 to 2000 pixels a side.
    #[arg(long)]
    logo: Option<std::path::PathBuf>,
    /// A screenshot: PNG or JPEG, 1280 by 800 pixels (repeat, up to 5).
    #[arg(long = "screenshot")]
    screenshots: Vec<std::path::PathBuf>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum DeveloperCommand {
    /// Registers (or resubmits) the developer profile, for Amazon's review.
    Register(Box<RegisterArgs>),
    /// The developer profile and the status of its review.
    Show(AdminOnly),
}

#[derive(Args)]
pub struct AdminOnly {
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct RegisterArgs {
    /// Organization: its legal name.
    #[arg(long)]
    organization: String,
    /// Organization: its website.
    #[arg(long)]
    website: Option<String>,
    /// Organization: its country (ISO 3166-1 alpha-2).
    #[arg(long)]
    country: Option<String>,
    /// Contact: the primary contact's name.
    #[arg(long)]
    contact_name: String,
    /// Contact: e-mail.
    #[arg(long)]
    contact_email: String,
    /// Contact: phone.
    #[arg(long)]
    contact_phone: Option<String>,
    /// Data access: `public` (publicly available applications) or `private` (for your own organization).
    #[arg(long, default_value = "private")]
    data_access: String,
    /// Use cases: a role to apply for (repeat; see Amazon's role list).
    #[arg(long = "role", required = true)]
    roles: Vec<String>,
    /// Use cases: what the applications do with the data.
    #[arg(long)]
    use_case: Option<String>,
    /// Security controls: the incident response policy (required for restricted roles).
    #[arg(long)]
    incident_response_policy: Option<String>,
    /// Security controls: whether data is encrypted at rest.
    #[arg(long)]
    encryption_at_rest: bool,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum AppCommand {
    /// Creates an app client (in Draft) and prints its LWA credentials; the secret is shown once.
    Create(CreateAppArgs),
    /// Shows an app: LWA credentials' ids and expiry dates, notifications, authorizations.
    Show(AppArgs),
    /// Rotates the client secret (as the console's button does) and prints the new one.
    Rotate(AppArgs),
}

#[derive(Args)]
pub struct CreateAppArgs {
    /// The app's name.
    #[arg(long)]
    name: String,
    /// OAuth redirect URI (repeat for several).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// OAuth login URI (repeat for several).
    #[arg(long = "login-uri")]
    login_uris: Vec<String>,
    /// A role (repeat), from those approved on the developer profile.
    #[arg(long = "role")]
    roles: Vec<String>,
    /// The IAM user or role ARN for legacy SigV4 calls.
    #[arg(long)]
    iam_arn: Option<String>,
    /// An app for vendors rather than sellers.
    #[arg(long)]
    vendor: bool,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct AppArgs {
    /// The app: application id, client id or name.
    #[arg(long)]
    app: String,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum SellerCommand {
    /// Creates a selling partner with sample orders; prints its selling partner id.
    Create(CreateSellerArgs),
}

#[derive(Args)]
pub struct CreateSellerArgs {
    /// The store's name.
    #[arg(long)]
    name: String,
    /// A marketplace id (repeat) [default: ATVPDKIKX0DER, Amazon.com].
    #[arg(long = "marketplace")]
    marketplaces: Vec<String>,
    /// The selling partner's usage plan as a multiple of Amazon's published one.
    #[arg(long)]
    rate_scale: Option<f64>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Args)]
pub struct PairArgs {
    /// The app: application id, client id or name.
    #[arg(long)]
    app: String,
    /// The selling partner id.
    #[arg(long)]
    seller: String,
    #[command(flatten)]
    admin: AdminArgs,
}

#[derive(Subcommand)]
pub enum NotificationsCommand {
    /// Registers the queues of "Application Client Secret Expiry" and "Application Client New Secret".
    Set(SetQueuesArgs),
}

#[derive(Args)]
pub struct SetQueuesArgs {
    /// The app: application id, client id or name.
    #[arg(long)]
    app: String,
    /// SQS queue ARN for APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY.
    #[arg(long)]
    expiry_queue: Option<String>,
    /// SQS queue ARN for APPLICATION_OAUTH_CLIENT_NEW_SECRET.
    #[arg(long)]
    new_secret_queue: Option<String>,
    #[command(flatten)]
    admin: AdminArgs,
}

/// The path segment of an app or seller key.
fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("-")
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn print_app(v: &Value) {
    println!("applicationId:   {}", text(&v["applicationId"]));
    println!("name:            {}", text(&v["name"]));
    println!("status:          {}", text(&v["status"]));
    println!("clientId:        {}", text(&v["lwaCredentials"]["clientId"]));
    if let Some(secret) = v["clientSecret"].as_str() {
        println!("clientSecret:    {secret}   (shown once: store it now)");
    }
    println!("secret expires:  {}", text(&v["lwaCredentials"]["clientSecretExpiresAt"]));
    let roles: Vec<String> = v["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| format!("{}{}", text(&r["name"]), if r["restricted"] == true { " (restricted)" } else { "" }))
        .collect();
    println!("roles:           {}", roles.join(", "));
}

fn print_app_details(v: &Value) {
    print_app(v);
    println!("iamArn:          {}", text(&v["iamArn"]));
    println!("LWA credentials:");
    for s in v["lwaCredentials"]["clientSecrets"].as_array().into_iter().flatten() {
        println!(
            "  secret {}  {:<8}  created {}  expires {}",
            text(&s["secretId"]),
            text(&s["status"]),
            text(&s["createdAt"]),
            text(&s["expiresAt"])
        );
    }
    let n = &v["notifications"];
    println!("notifications:");
    println!("  Application Client Secret Expiry: {}", text(&n["applicationClientSecretExpiry"]["queueArn"]));
    println!("  Application Client New Secret:    {}", text(&n["applicationClientNewSecret"]["queueArn"]));
    if let Some(f) = n["lastFailure"].as_object() {
        println!(
            "  last failure: {} {} to {}: {}",
            text(&f["time"]),
            text(&f["notificationType"]),
            text(&f["destination"]),
            text(&f["error"])
        );
    }
    for a in v["authorizations"].as_array().into_iter().flatten() {
        let revoked = a["revokedAt"].as_str().map(|t| format!(", revoked {t}")).unwrap_or_default();
        println!(
            "authorized by {} ({}) at {}{revoked}",
            text(&a["sellingPartnerId"]),
            text(&a["via"]),
            text(&a["authorizedAt"])
        );
    }
}

/// Runs an `spcred sp` command.
pub async fn run(command: SpCommand) -> Result<(), String> {
    match command {
        SpCommand::Developer(DeveloperCommand::Register(a)) => register(*a).await,
        SpCommand::App(AppCommand::Create(a)) => create_app(a).await,
        SpCommand::App(AppCommand::Show(a)) => show_app(a).await,
        SpCommand::App(AppCommand::Rotate(a)) => rotate(a).await,
        SpCommand::Seller(SellerCommand::Create(a)) => create_seller(a).await,
        SpCommand::Authorize(a) => authorize(a).await,
        SpCommand::Revoke(a) => revoke(a).await,
        SpCommand::Notifications(NotificationsCommand::Set(a)) => set_queues(a).await,
        SpCommand::Developer(DeveloperCommand::Show(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.get("/_spcred/sp/developers", &[]).await?;
            print_developer(&admin, &v);
            Ok(())
        }
        SpCommand::Listing(ListingCommand::Create(a)) => create_listing(*a).await,
        SpCommand::Listing(ListingCommand::Submit(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin
                .send_json(Method::POST, &format!("/_spcred/sp/apps/{}/listing/submit", seg(&a.app)), &json!({}))
                .await?;
            print_listing(&admin, &v);
            Ok(())
        }
        SpCommand::Listing(ListingCommand::Show(a)) => {
            let admin = Admin::new(&a.admin)?;
            let v = admin.get(&format!("/_spcred/sp/apps/{}/listing", seg(&a.app)), &[]).await?;
            print_listing(&admin, &v);
            Ok(())
        }
    }
}

fn print_developer(admin: &Admin, v: &Value) {
    if admin.json {
        print_json(v);
    } else {
        println!("developerId:  {}", text(&v["developerId"]));
        println!("organization: {}", text(&v["organization"]));
        println!("status:       {}", text(&v["status"]));
        if let Some(case) = v["registrationCaseId"].as_str() {
            println!("review case:  {case}   (spcred dp request show {case})");
        }
        let roles: Vec<&str> = v["roles"].as_array().into_iter().flatten().map(|r| text(&r["name"])).collect();
        println!("roles:        {}", roles.join(", "));
    }
}

fn print_listing(admin: &Admin, v: &Value) {
    if admin.json {
        print_json(v);
    } else {
        println!("app:        {} ({})", text(&v["applicationId"]), text(&v["appStatus"]));
        crate::dp::print_review(v);
    }
}

async fn create_listing(a: ListingArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let marketplaces = if a.marketplaces.is_empty() { vec!["ATVPDKIKX0DER".to_owned()] } else { a.marketplaces };
    let form = json!({
        "appInformation": {"name": a.name, "shortDescription": a.short_description, "description": a.description,
            "category": a.category, "website": a.website, "supportEmail": a.support_email},
        "pricing": {"model": a.pricing, "price": a.price, "currency": a.currency},
        "details": {"features": a.features, "marketplaceIds": marketplaces},
    });
    let path = format!("/_spcred/sp/apps/{}/listing", seg(&a.app));
    let mut v = admin.send_json(Method::PUT, &path, &form).await?;
    let images = a.logo.iter().map(|p| ("logo", p)).chain(a.screenshots.iter().map(|p| ("screenshot", p)));
    for (kind, file) in images {
        let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let name = file.file_name().map_or_else(|| kind.to_owned(), |n| n.to_string_lossy().into_owned());
        admin.upload(&format!("{path}/images"), &[("kind", kind.to_owned()), ("fileName", name)], bytes).await?;
        v = admin.get(&path, &[]).await?;
    }
    print_listing(&admin, &v);
    Ok(())
}

async fn register(a: RegisterArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let body = json!({
        "organization": {"name": a.organization, "website": a.website, "country": a.country},
        "contact": {"name": a.contact_name, "email": a.contact_email, "phone": a.contact_phone},
        "dataAccess": a.data_access,
        "useCases": {"roles": a.roles, "description": a.use_case},
        "securityControls": {
            "incidentResponsePolicy": a.incident_response_policy,
            "encryptionAtRest": a.encryption_at_rest,
        },
    });
    let v = admin.send_json(Method::POST, "/_spcred/sp/developers", &body).await?;
    print_developer(&admin, &v);
    Ok(())
}

async fn create_app(a: CreateAppArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let body = json!({
        "name": a.name,
        "redirectUris": a.redirect_uris,
        "loginUris": a.login_uris,
        "roles": a.roles,
        "iamArn": a.iam_arn,
        "vendor": a.vendor,
    });
    let v = admin.send_json(Method::POST, "/_spcred/sp/apps", &body).await?;
    if admin.json {
        print_json(&v);
    } else {
        print_app(&v);
    }
    Ok(())
}

async fn show_app(a: AppArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let v = admin.get(&format!("/_spcred/sp/apps/{}", seg(&a.app)), &[]).await?;
    if admin.json {
        print_json(&v);
    } else {
        print_app_details(&v);
    }
    Ok(())
}

async fn rotate(a: AppArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let v = admin.send_json(Method::POST, &format!("/_spcred/sp/apps/{}/rotate", seg(&a.app)), &json!({})).await?;
    if admin.json {
        print_json(&v);
    } else {
        println!("clientId:            {}", text(&v["clientId"]));
        println!("clientSecret:        {}   (shown once: store it now)", text(&v["clientSecret"]));
        println!("secret expires:      {}", text(&v["clientSecretExpiresAt"]));
        println!("old secrets work to: {}", text(&v["previousSecretsExpireBy"]));
    }
    Ok(())
}

async fn create_seller(a: CreateSellerArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let body = json!({"name": a.name, "marketplaceIds": a.marketplaces, "rateScale": a.rate_scale});
    let v = admin.send_json(Method::POST, "/_spcred/sp/sellers", &body).await?;
    if admin.json {
        print_json(&v);
    } else {
        println!("sellingPartnerId: {}", text(&v["sellingPartnerId"]));
        let m: Vec<&str> = v["marketplaceIds"].as_array().into_iter().flatten().map(text).collect();
        println!("marketplaces:     {}", m.join(", "));
        println!("sample orders:    {}", v["sampleOrders"]);
    }
    Ok(())
}

async fn authorize(a: PairArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let body = json!({"applicationId": a.app, "sellingPartnerId": a.seller});
    let v = admin.send_json(Method::POST, "/_spcred/sp/authorizations", &body).await?;
    if admin.json {
        print_json(&v);
    } else {
        println!("refreshToken: {}", text(&v["refreshToken"]));
    }
    Ok(())
}

async fn revoke(a: PairArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let body = json!({"applicationId": a.app, "sellingPartnerId": a.seller});
    let v = admin.send_json(Method::POST, "/_spcred/sp/authorizations/revoke", &body).await?;
    if admin.json {
        print_json(&v);
    } else {
        println!(
            "revoked {} authorization(s) of {} by {}",
            v["revoked"],
            text(&v["applicationId"]),
            text(&v["sellingPartnerId"])
        );
    }
    Ok(())
}

async fn set_queues(a: SetQueuesArgs) -> Result<(), String> {
    let admin = Admin::new(&a.admin)?;
    let body = json!({"expiryQueueArn": a.expiry_queue, "newSecretQueueArn": a.new_secret_queue});
    let v = admin.send_json(Method::PUT, &format!("/_spcred/sp/apps/{}/notifications", seg(&a.app)), &body).await?;
    if admin.json {
        print_json(&v);
    } else {
        let n = &v["notifications"];
        println!("Application Client Secret Expiry: {}", text(&n["applicationClientSecretExpiry"]["queueArn"]));
        println!("Application Client New Secret:    {}", text(&n["applicationClientNewSecret"]["queueArn"]));
    }
    Ok(())
}
