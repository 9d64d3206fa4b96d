//! App listings: "View App listings", "Add App Listing", the "List your App" form (app
//! information, pricing, details, images) and "Save and submit" to Amazon's review (up to two
//! weeks, 10 business days). An approved listing publishes the app.

use crate::apps::ConsoleError;
use crate::flows::LISTING;
use crate::review::{Action, Data, Moved, State};
use crate::{Sandbox, commit};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::review as repo;
use store::sp;

/// The "List your App" form.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ListingForm {
    pub app_information: AppInformation,
    pub pricing: Pricing,
    pub details: Details,
}

/// App information.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AppInformation {
    pub name: String,
    pub short_description: String,
    pub description: String,
    pub category: String,
    pub website: String,
    pub support_email: String,
}

/// Pricing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Pricing {
    /// `Free`, `Paid`, `Subscription` or `FreeTrial`.
    pub model: String,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// Details.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Details {
    pub features: Vec<String>,
    pub marketplace_ids: Vec<String>,
    #[serde(default)]
    pub setup_instructions: Option<String>,
}

/// The categories of the Selling Partner Appstore.
const CATEGORIES: &[&str] = &[
    "Accounting",
    "Advertising",
    "Analytics",
    "Customer Service",
    "Inventory Management",
    "Listing Management",
    "Order Management",
    "Pricing",
    "Shipping",
    "Tax",
];

fn check(what: &str, value: &str, max: usize) -> Result<(), ConsoleError> {
    if value.trim().is_empty() {
        return Err(ConsoleError::invalid(format!("{what} is required")));
    }
    if value.chars().count() > max {
        return Err(ConsoleError::invalid(format!("{what} is at most {max} characters")));
    }
    Ok(())
}

impl ListingForm {
    fn validate(&self) -> Result<(), ConsoleError> {
        let a = &self.app_information;
        check("appInformation.name", &a.name, 80)?;
        check("appInformation.shortDescription", &a.short_description, 200)?;
        check("appInformation.description", &a.description, 4000)?;
        check("appInformation.website", &a.website, 2048)?;
        if !a.website.starts_with("https://") {
            return Err(ConsoleError::invalid("appInformation.website must be an https:// URL"));
        }
        check("appInformation.supportEmail", &a.support_email, 254)?;
        if !a.support_email.contains('@') {
            return Err(ConsoleError::invalid("appInformation.supportEmail is not an e-mail address"));
        }
        if !CATEGORIES.contains(&a.category.as_str()) {
            return Err(ConsoleError::invalid(format!(
                "appInformation.category must be one of: {}",
                CATEGORIES.join(", ")
            )));
        }
        let p = &self.pricing;
        match p.model.as_str() {
            "Free" => {}
            "Paid" | "Subscription" | "FreeTrial" => {
                let price = p.price.as_deref().unwrap_or("");
                let valid = !price.is_empty() && price.len() <= 12 && price.parse::<f64>().is_ok_and(|v| v > 0.0);
                if !valid {
                    return Err(ConsoleError::invalid(format!(
                        "pricing.price must be a positive amount for the {} model",
                        p.model
                    )));
                }
                if p.currency.as_deref().is_none_or(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase())) {
                    return Err(ConsoleError::invalid("pricing.currency must be an ISO 4217 code such as USD"));
                }
            }
            _ => return Err(ConsoleError::invalid("pricing.model must be Free, Paid, Subscription or FreeTrial")),
        }
        let d = &self.details;
        if d.features.is_empty() || d.features.len() > 10 {
            return Err(ConsoleError::invalid("details.features lists 1 to 10 features"));
        }
        for f in &d.features {
            check("a feature", f, 200)?;
        }
        if d.marketplace_ids.is_empty() || d.marketplace_ids.len() > 30 {
            return Err(ConsoleError::invalid("details.marketplaceIds names 1 to 30 marketplaces"));
        }
        for m in &d.marketplace_ids {
            if crate::catalog::marketplace(m).is_none() {
                return Err(ConsoleError::invalid(format!("{m:?} is not a marketplace id")));
            }
        }
        if let Some(s) = &d.setup_instructions {
            check("details.setupInstructions", s, 4000)?;
        }
        Ok(())
    }
}

impl Sandbox {
    /// The app's listing case: the one in progress, else the latest.
    async fn listing_case(&self, conn: &mut store::Conn, app_id: &str) -> Result<Option<repo::Review>, ConsoleError> {
        let cases = repo::reviews(conn, LISTING.kind, Some(app_id)).await?;
        let live = cases.iter().rposition(|c| c.status == "InProgress");
        Ok(match live {
            Some(i) => cases.into_iter().nth(i),
            None => cases.into_iter().last(),
        })
    }

    /// "Add App Listing" / edit: saves the form (a draft until submitted).
    pub(crate) async fn save_listing(&self, app: &sp::App, form: &ListingForm) -> Result<Value, ConsoleError> {
        form.validate()?;
        let mut tx = self.begin().await?;
        let developer = sp::developer_by_id(&mut tx, &app.developer_id).await?;
        let email = developer
            .and_then(|d| serde_json::from_str::<Value>(&d.profile).ok())
            .and_then(|p| p.pointer("/contact/email").and_then(Value::as_str).map(str::to_owned));
        let case = if let Some(c) = self.listing_case(&mut tx, &app.app_id).await?.filter(|c| c.status == "InProgress")
        {
            c
        } else {
            let data = Data { email, ..Data::default() };
            let id = self.ids().case_id();
            self.open_review(&mut tx, &LISTING, &id, &app.app_id, &data, |_| true).await?
        };
        let mut data = Data::of(&case);
        data.listing = Some(serde_json::to_value(form).unwrap_or(Value::Null));
        let mut case = case;
        case.data = data.to_text();
        case.updated_ms = self.now_ms();
        repo::put_review(&mut tx, &case).await?;
        commit(tx).await?;
        self.listing_view(app).await
    }

    /// Uploads a listing image (`logo` or `screenshot`) to the listing in progress.
    pub(crate) async fn add_listing_image(
        &self,
        app: &sp::App,
        kind: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Value, ConsoleError> {
        if !matches!(kind, "logo" | "screenshot") {
            return Err(ConsoleError::invalid("a listing image is a logo or a screenshot"));
        }
        let mut tx = self.begin().await?;
        let case = self
            .listing_case(&mut tx, &app.app_id)
            .await?
            .filter(|c| c.status == "InProgress")
            .ok_or_else(|| ConsoleError::invalid("save the listing form first: spcred sp listing create"))?;
        let docs = repo::documents(&mut tx, &case.review_id).await?;
        if kind == "screenshot" && docs.iter().filter(|d| d.kind == "screenshot").count() >= 5 {
            return Err(ConsoleError::invalid("a listing has at most 5 screenshots"));
        }
        if kind == "logo" {
            // A listing has one logo: a new one replaces the old (unless it is refused, which
            // rolls this back).
            repo::delete_documents(&mut tx, &case.review_id, "logo").await?;
        }
        let doc = self.add_document(&mut tx, &case.review_id, kind, file_name, bytes).await?;
        commit(tx).await?;
        Ok(crate::documents::document_json(&doc))
    }

    /// "Save and submit": the listing goes to Amazon's review.
    pub(crate) async fn submit_listing(&self, app: &sp::App) -> Result<Value, ConsoleError> {
        let mut tx = self.begin().await?;
        let case = self
            .listing_case(&mut tx, &app.app_id)
            .await?
            .filter(|c| c.status == "InProgress")
            .ok_or_else(|| ConsoleError::invalid("the app has no listing to submit: spcred sp listing create"))?;
        let data = Data::of(&case);
        let form = data.listing.clone().ok_or_else(|| ConsoleError::invalid("the listing form is empty"))?;
        let docs = repo::documents(&mut tx, &case.review_id).await?;
        let logos = docs.iter().filter(|d| d.kind == "logo").count();
        let shots = docs.iter().filter(|d| d.kind == "screenshot").count();
        if logos == 0 || shots == 0 {
            return Err(ConsoleError::invalid("a listing needs a logo and at least one screenshot"));
        }
        self.move_step(&mut tx, &LISTING, &case.review_id, "listing", Action::Submit, None, Some(&form)).await?;
        commit(tx).await?;
        self.listing_view(app).await
    }

    /// The app's listing: the form, its images and its review.
    pub(crate) async fn listing_view(&self, app: &sp::App) -> Result<Value, ConsoleError> {
        let mut conn = self.reader().await?;
        let case = self
            .listing_case(&mut conn, &app.app_id)
            .await?
            .ok_or_else(|| ConsoleError::not_found(format!("{} has no listing", app.app_id)))?;
        drop(conn);
        let mut view = self.review_view(&LISTING, &case).await?;
        view["applicationId"] = json!(app.app_id);
        view["appStatus"] = json!(app.status);
        view["listing"] = Data::of(&case).listing.unwrap_or(Value::Null);
        Ok(view)
    }

    /// An approved listing publishes the app.
    pub(crate) async fn listing_decided(&self, tx: &mut store::Tx, moved: &Moved) -> Result<(), ConsoleError> {
        if moved.state == State::Approved {
            sp::set_app_status(tx, &moved.review.subject, "Published").await?;
        }
        Ok(())
    }
}
