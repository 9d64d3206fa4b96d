//! The review engine: one state machine for every case in which Amazon reviews what a
//! developer submits (the developer registration, an app listing, a Data Portability onboarding
//! request). A review is a sequence of steps; each step moves through
//!
//! ```text
//! Locked -> Open -> Submitted -> InReview -> Approved
//!                      |  ^          |  \-> Denied -> (appeal) InReview
//!                      |  '-- InfoRequested (10 business days, then the review closes)
//! any step: withdraw -> Withdrawn (the whole review); an Approved step that may be updated
//! (the privacy review) is submitted again.
//! ```
//!
//! Every state says who owes the next move and by when (business days on the sandbox's
//! [`Calendar`](crate::calendar::Calendar) and [`Clock`](store::Clock)): a due date Amazon's side
//! misses is a breach, recorded on the step and counted in `/metrics`; a developer's missed
//! resubmission closes the review. Illegal moves are refused and change nothing. Submissions
//! are sealed under the at-rest key; the outcome goes to the developer in the workspace (the
//! history) and by e-mail, through spcred's delivery (SMTP or the outbox).

use crate::apps::ConsoleError;
use crate::{Sandbox, iso_ms};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use store::StoreError;
use store::jobs::{self, Handler, Job, Outcome};
use store::review as repo;

/// A developer has this many business days to answer a request for information.
pub(crate) const RESUBMIT_DAYS: u32 = 10;
/// Amazon answers a reply to the case within this many business days.
pub(crate) const CASE_REPLY_DAYS: u32 = 5;
/// Amazon answers a TPS consultation within this many business days.
pub(crate) const CONSULTATION_DAYS: u32 = 3;

/// The job that closes a review whose developer did not answer in time.
pub(crate) const DEADLINE_JOB: &str = "sp.review_deadline";
/// The job that records a breach when Amazon's side misses a due date.
pub(crate) const SLA_JOB: &str = "sp.review_sla";

/// A step's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Locked,
    Open,
    Submitted,
    InReview,
    InfoRequested,
    Approved,
    Denied,
    Withdrawn,
    Closed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Locked => "Locked",
            State::Open => "Open",
            State::Submitted => "Submitted",
            State::InReview => "InReview",
            State::InfoRequested => "InfoRequested",
            State::Approved => "Approved",
            State::Denied => "Denied",
            State::Withdrawn => "Withdrawn",
            State::Closed => "Closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            State::Locked,
            State::Open,
            State::Submitted,
            State::InReview,
            State::InfoRequested,
            State::Approved,
            State::Denied,
            State::Withdrawn,
            State::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A move on a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The developer submits (or resubmits) the step's form.
    Submit,
    /// Amazon's side starts the review.
    Start,
    /// Amazon's side approves.
    Approve,
    /// Amazon's side denies.
    Deny,
    /// Amazon's side asks for more information.
    RequestInfo,
    /// The developer appeals a denial, with remediated answers.
    Appeal,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Start => "start",
            Action::Approve => "approve",
            Action::Deny => "deny",
            Action::RequestInfo => "request-info",
            Action::Appeal => "appeal",
        }
    }

    /// A reviewer's decision as `spcred dp review --decision` names it.
    pub fn decision(text: &str) -> Option<Self> {
        match text {
            "start" => Some(Action::Start),
            "approve" => Some(Action::Approve),
            "deny" => Some(Action::Deny),
            "request-info" => Some(Action::RequestInfo),
            _ => None,
        }
    }

    fn by_developer(self) -> bool {
        matches!(self, Action::Submit | Action::Appeal)
    }
}

/// One step of a flow and its SLAs in business days.
#[derive(Debug)]
pub(crate) struct StepSpec {
    pub name: &'static str,
    pub title: &'static str,
    /// Amazon starts the review within this many business days of a submission (0: no
    /// separate start; the decision is due `review_days` after the submission).
    pub start_days: u32,
    /// Amazon decides within this many business days of the submission.
    pub review_days: u32,
    /// A denial can be appealed, and is answered within this many business days.
    pub appeal_days: Option<u32>,
    /// An approved step can be submitted again (its review reopens).
    pub reopens: bool,
    /// The steps that must be approved before this one opens.
    pub after: &'static [&'static str],
    /// The review does not need this step to complete.
    pub optional: bool,
    /// The reason of a denial is withheld from the developer (denied party screening).
    pub withhold_reason: bool,
}

/// A kind of review and its steps, in order.
#[derive(Debug)]
pub(crate) struct Flow {
    pub kind: &'static str,
    pub title: &'static str,
    pub steps: &'static [StepSpec],
}

impl Flow {
    pub fn step(&self, name: &str) -> Option<&'static StepSpec> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// An illegal move.
fn illegal(spec: &StepSpec, state: State, action: Action) -> ConsoleError {
    ConsoleError {
        code: "IllegalTransition",
        message: format!("cannot {} the step {} while it is {}", action.as_str(), spec.name, state.as_str()),
    }
}

/// The state machine: where `action` takes a step of `spec` in `state`.
pub(crate) fn transition(spec: &StepSpec, state: State, action: Action) -> Result<State, ConsoleError> {
    use Action as A;
    use State as S;
    let next = match (state, action) {
        (S::Open | S::InfoRequested, A::Submit) => S::Submitted,
        (S::Approved, A::Submit) if spec.reopens => S::Submitted,
        (S::Submitted, A::Start) => S::InReview,
        (S::Submitted | S::InReview, A::Approve) => S::Approved,
        (S::Submitted | S::InReview, A::Deny) => S::Denied,
        (S::Submitted | S::InReview, A::RequestInfo) => S::InfoRequested,
        (S::Denied, A::Appeal) if spec.appeal_days.is_some() => S::InReview,
        _ => return Err(illegal(spec, state, action)),
    };
    Ok(next)
}

/// Who owes the next move in `state`.
fn owner(state: State) -> &'static str {
    match state {
        State::Submitted | State::InReview => "amazon",
        State::Open | State::InfoRequested => "developer",
        _ => "none",
    }
}

/// What a review keeps beside its steps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Data {
    /// Where the outcome is e-mailed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Data Portability: the categories requested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<u8>,
    /// Data Portability: the categories customers can share.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unlocked: Vec<u8>,
    /// Data Portability: the sandbox customers asked for, then granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sandbox_customers: Vec<String>,
    #[serde(default)]
    pub sandbox_granted: bool,
    #[serde(default)]
    pub production: bool,
    /// App listing: the "List your App" form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<Value>,
}

impl Data {
    pub fn of(review: &repo::Review) -> Self {
        serde_json::from_str(&review.data).unwrap_or_default()
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Who moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Actor {
    Developer,
    Amazon,
    Clock,
}

impl Actor {
    fn as_str(self) -> &'static str {
        match self {
            Actor::Developer => "developer",
            Actor::Amazon => "amazon",
            Actor::Clock => "clock",
        }
    }
}

/// The result of a move, for the caller's kind-specific effects (in the same transaction).
#[derive(Debug)]
pub(crate) struct Moved {
    pub review: repo::Review,
    pub step: &'static StepSpec,
    pub state: State,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DueJob {
    review_id: String,
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    message_id: Option<i64>,
    due_ms: i64,
}

fn submission_aad(review_id: &str, step: &str) -> Vec<u8> {
    format!("review-submission:{review_id}:{step}").into_bytes()
}

impl Sandbox {
    /// Opens a review of `flow` about `subject` with the steps `include` keeps: the first steps
    /// open, the others locked until the steps they follow are approved.
    pub(crate) async fn open_review(
        &self,
        tx: &mut store::Tx,
        flow: &'static Flow,
        review_id: &str,
        subject: &str,
        data: &Data,
        include: impl Fn(&StepSpec) -> bool,
    ) -> Result<repo::Review, ConsoleError> {
        let now = self.now_ms();
        let review = repo::Review {
            review_id: review_id.to_owned(),
            kind: flow.kind.into(),
            subject: subject.to_owned(),
            status: "InProgress".into(),
            data: data.to_text(),
            created_ms: now,
            updated_ms: now,
        };
        repo::put_review(tx, &review).await?;
        for (i, spec) in flow.steps.iter().filter(|s| include(s)).enumerate() {
            let state = if spec.after.is_empty() { State::Open } else { State::Locked };
            let step = repo::Step {
                review_id: review_id.to_owned(),
                step: spec.name.into(),
                position: i64::try_from(i).unwrap_or(i64::MAX),
                state: state.as_str().into(),
                owner: owner(state).into(),
                due_ms: None,
                submitted_ms: None,
                submission: None,
                message: None,
                breached: false,
                updated_ms: now,
            };
            repo::put_step(tx, &step).await?;
        }
        self.log_event(tx, review_id, None, Actor::Developer, "open", None, None, now).await?;
        Ok(review)
    }

    #[allow(clippy::too_many_arguments)] // One history row's columns.
    async fn log_event(
        &self,
        tx: &mut store::Tx,
        review_id: &str,
        step: Option<&str>,
        actor: Actor,
        action: &str,
        state: Option<State>,
        message: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let e = repo::Event {
            at_ms: now,
            step: step.map(str::to_owned),
            actor: actor.as_str().into(),
            action: action.into(),
            state: state.map(|s| s.as_str().to_owned()),
            message: message.map(str::to_owned),
        };
        repo::add_event(tx, review_id, &e).await
    }

    /// Loads a review of `flow` that is still in progress.
    pub(crate) async fn live_review(
        &self,
        conn: &mut store::Conn,
        flow: &Flow,
        review_id: &str,
    ) -> Result<repo::Review, ConsoleError> {
        let review = repo::review(conn, review_id)
            .await?
            .filter(|r| r.kind == flow.kind)
            .ok_or_else(|| ConsoleError::not_found(format!("no {} {review_id}", flow.title)))?;
        if review.status != "InProgress" {
            return Err(ConsoleError {
                code: "IllegalTransition",
                message: format!("the {} {review_id} is {}; nothing more can change in it", flow.title, review.status),
            });
        }
        Ok(review)
    }

    /// Moves `step` of the review by `action`, in `tx`: checks the move, sets the step's owner
    /// and due date, seals the submission, records the history, opens the steps that follow an
    /// approval, settles the review's status, schedules the deadline and SLA jobs and e-mails
    /// the developer about Amazon's decisions. `message` is what the developer is told.
    #[allow(clippy::too_many_arguments)] // The move and what comes with it.
    pub(crate) async fn move_step(
        &self,
        tx: &mut store::Tx,
        flow: &'static Flow,
        review_id: &str,
        step_name: &str,
        action: Action,
        message: Option<&str>,
        submission: Option<&Value>,
    ) -> Result<Moved, ConsoleError> {
        let mut review = self.live_review(tx, flow, review_id).await?;
        let spec = flow.step(step_name).ok_or_else(|| {
            let names: Vec<&str> = flow.steps.iter().map(|s| s.name).collect();
            ConsoleError::invalid(format!("{step_name:?} is not a step; the steps are: {}", names.join(", ")))
        })?;
        let mut steps = repo::steps(tx, review_id).await?;
        let Some(row) = steps.iter_mut().find(|s| s.step == spec.name) else {
            return Err(ConsoleError::invalid(format!("the {} {review_id} has no step {}", flow.title, spec.name)));
        };
        let state = State::parse(&row.state).ok_or_else(|| StoreError::Corrupt(format!("step state {}", row.state)))?;
        let next = transition(spec, state, action)?;
        if let Some(m) = message
            && m.len() > 4096
        {
            return Err(ConsoleError::invalid("a message is at most 4096 characters"));
        }
        let now = self.now_ms();
        let cal = &self.deps.calendar;
        let due = match (next, action) {
            (State::Submitted, _) if spec.start_days > 0 => Some(cal.add_business_days(now, spec.start_days)),
            (State::Submitted, _) => Some(cal.add_business_days(now, spec.review_days)),
            (State::InReview, Action::Appeal) => Some(cal.add_business_days(now, spec.appeal_days.unwrap_or(3))),
            (State::InReview, _) => {
                Some(cal.add_business_days(row.submitted_ms.unwrap_or(now), spec.review_days).max(now))
            }
            (State::InfoRequested, _) => Some(cal.add_business_days(now, RESUBMIT_DAYS)),
            _ => None,
        };
        if action.by_developer() {
            row.submitted_ms = Some(now);
            if let Some(form) = submission {
                let sealed = self.deps.at_rest.seal(
                    self.deps.rng.as_ref(),
                    form.to_string().as_bytes(),
                    &submission_aad(review_id, spec.name),
                );
                row.submission = Some(sealed);
            }
        }
        // What the developer is told: a withheld reason is replaced by the guidelines' words.
        let told = match (next, spec.withhold_reason) {
            (State::Denied, true) => Some("We are unable to proceed with your onboarding request.".to_owned()),
            _ => message.map(str::to_owned),
        };
        row.state = next.as_str().into();
        row.owner = owner(next).into();
        row.due_ms = due;
        row.breached = false;
        if !action.by_developer() {
            row.message.clone_from(&told);
        }
        row.updated_ms = now;
        repo::put_step(tx, row).await?;
        let actor = if action.by_developer() { Actor::Developer } else { Actor::Amazon };
        self.log_event(tx, review_id, Some(spec.name), actor, action.as_str(), Some(next), told.as_deref(), now)
            .await?;
        match (next, due) {
            (State::InfoRequested, Some(due_ms)) => {
                self.schedule(tx, DEADLINE_JOB, review_id, Some(spec.name), None, due_ms).await?;
            }
            (State::Submitted | State::InReview, Some(due_ms)) => {
                self.schedule(tx, SLA_JOB, review_id, Some(spec.name), None, due_ms).await?;
            }
            _ => {}
        }
        // The review completes when every required step is approved.
        let complete =
            steps.iter().all(|s| s.state == State::Approved.as_str() || flow.step(&s.step).is_some_and(|f| f.optional));
        let status = match next {
            State::Denied if spec.appeal_days.is_none() => "Denied",
            State::Approved if complete => "Completed",
            _ => "InProgress",
        };
        review.status = status.into();
        review.updated_ms = now;
        repo::put_review(tx, &review).await?;
        if actor == Actor::Amazon && action != Action::Start {
            let mut text = format!("{}: {}", spec.title, next.as_str());
            if let Some(t) = &told {
                text = format!("{text}. {t}");
            }
            if status != "InProgress" {
                text = format!("{text}\nThe {} is now {status}.", flow.title);
            }
            self.tell(tx, flow, &review, &text, now).await?;
        }
        // Approval opens what follows.
        if next == State::Approved {
            self.open_followers(tx, flow, &review, &mut steps, now).await?;
        }
        Ok(Moved { review, step: spec, state: next })
    }

    /// Opens the locked steps whose prerequisites are all approved, and invites the developer to
    /// each. A prerequisite the review left out (the security review of a category 1 request)
    /// counts as met.
    async fn open_followers(
        &self,
        tx: &mut store::Tx,
        flow: &Flow,
        review: &repo::Review,
        steps: &mut [repo::Step],
        now: i64,
    ) -> Result<(), StoreError> {
        let approved: Vec<String> =
            steps.iter().filter(|s| s.state == State::Approved.as_str()).map(|s| s.step.clone()).collect();
        let included: Vec<String> = steps.iter().map(|s| s.step.clone()).collect();
        for s in steps.iter_mut() {
            let Some(follow) = flow.step(&s.step) else { continue };
            let ready =
                follow.after.iter().all(|a| approved.iter().any(|x| x == a) || !included.iter().any(|x| x == a));
            if s.state == State::Locked.as_str() && ready {
                s.state = State::Open.as_str().into();
                s.owner = owner(State::Open).into();
                s.updated_ms = now;
                repo::put_step(tx, s).await?;
                let id = &review.review_id;
                self.log_event(tx, id, Some(follow.name), Actor::Amazon, "invite", Some(State::Open), None, now)
                    .await?;
                self.tell(tx, flow, review, &format!("You are invited to complete: {}", follow.title), now).await?;
            }
        }
        Ok(())
    }

    /// Schedules a deadline or SLA job.
    async fn schedule(
        &self,
        tx: &mut store::Tx,
        kind: &str,
        review_id: &str,
        step: Option<&str>,
        message_id: Option<i64>,
        due_ms: i64,
    ) -> Result<(), StoreError> {
        let job = DueJob { review_id: review_id.into(), step: step.map(str::to_owned), message_id, due_ms };
        let payload = serde_json::to_string(&job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        jobs::enqueue(tx, kind, due_ms, &payload, self.now_ms()).await?;
        Ok(())
    }

    /// E-mails the developer about their review.
    async fn tell(
        &self,
        tx: &mut store::Tx,
        flow: &Flow,
        review: &repo::Review,
        text: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let Some(email) = Data::of(review).email else { return Ok(()) };
        let subject = format!("Your {} {}", flow.title, review.review_id);
        let body = format!("{text}\n\nSee it in the workspace: spcred dp request show {}\n", review.review_id);
        self.mail(tx, flow, review, &email, &subject, &body, now).await
    }

    /// Queues an e-mail about `review` through spcred's delivery (SMTP when configured, else the
    /// local outbox), in `tx`.
    #[allow(clippy::too_many_arguments)] // A message's parts.
    pub(crate) async fn mail(
        &self,
        tx: &mut store::Tx,
        flow: &Flow,
        review: &repo::Review,
        to: &str,
        subject: &str,
        body: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let delivery_id = self.ids().uuid();
        let message_id = self.ids().uuid();
        let source = format!("spcred:sp:{}/{}", flow.kind, review.review_id);
        let new = store::delivery::NewDelivery {
            id: &delivery_id,
            source: &source,
            destination: to,
            protocol: "email",
            endpoint: to,
            message_id: &message_id,
            message_type: "Notification",
        };
        let send = store::delivery::Send {
            delivery_id: delivery_id.clone(),
            endpoint: to.to_owned(),
            subject: Some(subject.to_owned()),
            sender_name: Some("Amazon Developer".into()),
            body: body.to_owned(),
            headers: Vec::new(),
            attributes: None,
            principal: "developer.amazon.com".into(),
            source_arn: source.clone(),
            retry: store::delivery::Retry::CUSTOMER_MANAGED,
            dead_letter: None,
            created_ms: now,
            hops: 0,
        };
        store::delivery::enqueue(tx, store::delivery::EMAIL_JOB, &new, &send, now, now).await?;
        Ok(())
    }

    /// Withdraws a review at the developer's request: every step still moving is withdrawn and
    /// its documents are deleted.
    pub(crate) async fn withdraw(
        &self,
        flow: &'static Flow,
        review_id: &str,
        reason: Option<&str>,
    ) -> Result<(), ConsoleError> {
        let mut tx = self.begin().await?;
        let review = self.live_review(&mut tx, flow, review_id).await?;
        self.end_review(&mut tx, flow, review, State::Withdrawn, Actor::Developer, reason).await?;
        crate::commit(tx).await?;
        Ok(())
    }

    async fn end_review(
        &self,
        tx: &mut store::Tx,
        flow: &Flow,
        mut review: repo::Review,
        end: State,
        actor: Actor,
        message: Option<&str>,
    ) -> Result<(), ConsoleError> {
        let now = self.now_ms();
        for mut s in repo::steps(tx, &review.review_id).await? {
            if !matches!(State::parse(&s.state), Some(State::Approved | State::Denied)) {
                s.state = end.as_str().into();
                s.owner = "none".into();
                s.due_ms = None;
                s.updated_ms = now;
                repo::put_step(tx, &s).await?;
            }
        }
        let action = if end == State::Withdrawn { "withdraw" } else { "close" };
        self.log_event(tx, &review.review_id, None, actor, action, Some(end), message, now).await?;
        let purged = repo::purge_personal_data(tx, &review.review_id).await?;
        tracing::info!(review = %review.review_id, documents = purged, "review ended; its documents are deleted");
        review.status = end.as_str().into();
        review.updated_ms = now;
        repo::put_review(tx, &review).await?;
        let text = match end {
            State::Closed => format!(
                "The {} is closed: the information requested was not received within {RESUBMIT_DAYS} business days.",
                flow.title
            ),
            _ => format!("The {} is withdrawn, as you asked.", flow.title),
        };
        self.tell(tx, flow, &review, &text, now).await?;
        Ok(())
    }

    /// Adds a message to a review's case (`case`) or TPS consultation (`consultation`); a
    /// developer's message is due an answer in 5 (case) or 3 (consultation) business days.
    pub(crate) async fn post_message(
        &self,
        flow: &'static Flow,
        review_id: &str,
        thread: &str,
        author: Actor,
        body: &str,
    ) -> Result<i64, ConsoleError> {
        if body.trim().is_empty() || body.len() > 8192 {
            return Err(ConsoleError::invalid("a message is 1 to 8192 characters"));
        }
        let days = match thread {
            "case" => CASE_REPLY_DAYS,
            "consultation" => CONSULTATION_DAYS,
            _ => return Err(ConsoleError::invalid("the thread is case or consultation")),
        };
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let review = self.live_review(&mut tx, flow, review_id).await?;
        let due = (author == Actor::Developer).then(|| self.deps.calendar.add_business_days(now, days));
        let id = repo::add_message(&mut tx, review_id, thread, author.as_str(), body, due, now).await?;
        if let Some(due_ms) = due {
            self.schedule(&mut tx, SLA_JOB, review_id, None, Some(id), due_ms).await?;
        } else {
            self.tell(&mut tx, flow, &review, &format!("Amazon replied to your {thread}:\n\n{body}"), now).await?;
        }
        crate::commit(tx).await?;
        Ok(id)
    }

    /// A review as the workspace shows it: every step with its state, owner, due date and
    /// breach, the history, the messages and the documents (never their content).
    pub(crate) async fn review_view(&self, flow: &Flow, review: &repo::Review) -> Result<Value, ConsoleError> {
        let now = self.now_ms();
        let mut conn = self.reader().await?;
        let steps = repo::steps(&mut conn, &review.review_id).await?;
        let history = repo::history(&mut conn, &review.review_id).await?;
        let messages = repo::messages(&mut conn, &review.review_id).await?;
        let documents = repo::documents(&mut conn, &review.review_id).await?;
        let steps: Vec<Value> = steps
            .iter()
            .map(|s| {
                let spec = flow.step(&s.step);
                let late = s.owner == "amazon" && s.due_ms.is_some_and(|d| d < now);
                json!({
                    "step": s.step,
                    "title": spec.map(|x| x.title),
                    "state": s.state,
                    "owner": s.owner,
                    "dueBy": s.due_ms.map(iso_ms),
                    "slaBusinessDays": spec.map(|x| x.review_days),
                    "breached": s.breached || late,
                    "submittedAt": s.submitted_ms.map(iso_ms),
                    "message": s.message,
                })
            })
            .collect();
        let stage = steps
            .iter()
            .find(|s| {
                !matches!(s["state"].as_str(), Some("Approved"))
                    && !flow.step(s["step"].as_str().unwrap_or("")).is_some_and(|f| f.optional)
            })
            .and_then(|s| s["step"].as_str().map(str::to_owned));
        Ok(json!({
            "id": review.review_id,
            "kind": review.kind,
            "subject": review.subject,
            "status": review.status,
            "currentStep": stage,
            "createdAt": iso_ms(review.created_ms),
            "updatedAt": iso_ms(review.updated_ms),
            "steps": steps,
            "history": history.iter().map(|e| json!({
                "at": iso_ms(e.at_ms), "step": e.step, "actor": e.actor, "action": e.action, "state": e.state, "message": e.message,
            })).collect::<Vec<_>>(),
            "messages": messages.iter().map(|m| json!({
                "id": m.id, "thread": m.thread, "author": m.author, "body": m.body, "at": iso_ms(m.at_ms),
                "answerDueBy": m.due_ms.map(iso_ms), "answeredAt": m.answered_ms.map(iso_ms),
                "breached": m.answered_ms.is_none() && m.due_ms.is_some_and(|d| d < now),
            })).collect::<Vec<_>>(),
            "documents": documents.iter().map(|d| json!({
                "documentId": d.document_id, "kind": d.kind, "fileName": d.file_name, "contentType": d.content_type,
                "size": d.size, "sha256": d.sha256, "uploadedAt": iso_ms(d.created_ms),
            })).collect::<Vec<_>>(),
        }))
    }

    /// The latest sealed submission of a step, opened (for Amazon's side).
    pub(crate) fn open_submission(&self, step: &repo::Step) -> Option<Value> {
        let blob = step.submission.as_ref()?;
        let plain = self.deps.at_rest.open(blob, &submission_aad(&step.review_id, &step.step)).ok()?;
        serde_json::from_slice(&plain).ok()
    }
}

/// Closes reviews whose developer did not answer a request for information in time.
struct DeadlineHandler(Arc<Sandbox>);

#[async_trait::async_trait]
impl Handler for DeadlineHandler {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(due) = serde_json::from_str::<DueJob>(&job.payload) else {
            tracing::error!(job = job.id, "a review deadline job does not parse; dropped");
            return Ok(Outcome::Done);
        };
        let sb = &self.0;
        let mut tx = sb.begin().await?;
        let Some(review) = repo::review(&mut tx, &due.review_id).await?.filter(|r| r.status == "InProgress") else {
            return Ok(Outcome::Done);
        };
        let Some(flow) = crate::flows::by_kind(&review.kind) else { return Ok(Outcome::Done) };
        let steps = repo::steps(&mut tx, &review.review_id).await?;
        let still = steps.iter().any(|s| {
            Some(s.step.as_str()) == due.step.as_deref()
                && s.state == State::InfoRequested.as_str()
                && s.due_ms == Some(due.due_ms)
        });
        if still {
            match sb
                .end_review(
                    &mut tx,
                    flow,
                    review,
                    State::Closed,
                    Actor::Clock,
                    Some("the requested information was not received in time"),
                )
                .await
            {
                Ok(()) => {}
                Err(e) => return Err(StoreError::Corrupt(e.message)),
            }
            metrics::counter!("spcred_reviews_closed_total", "kind" => flow.kind).increment(1);
        }
        crate::commit(tx).await?;
        Ok(Outcome::Done)
    }
}

/// Records a breach when Amazon's side misses a due date (a step's decision or a case reply).
struct SlaHandler(Arc<Sandbox>);

#[async_trait::async_trait]
impl Handler for SlaHandler {
    async fn run(&self, job: &Job) -> Result<Outcome, StoreError> {
        let Ok(due) = serde_json::from_str::<DueJob>(&job.payload) else {
            tracing::error!(job = job.id, "a review SLA job does not parse; dropped");
            return Ok(Outcome::Done);
        };
        let sb = &self.0;
        let mut tx = sb.begin().await?;
        let Some(review) = repo::review(&mut tx, &due.review_id).await?.filter(|r| r.status == "InProgress") else {
            return Ok(Outcome::Done);
        };
        let now = sb.now_ms();
        let breached = match (&due.step, due.message_id) {
            (Some(step), _) => repo::mark_breached(&mut tx, &review.review_id, step, due.due_ms).await?,
            (None, Some(id)) => {
                repo::messages(&mut tx, &review.review_id).await?.iter().any(|m| m.id == id && m.answered_ms.is_none())
            }
            (None, None) => false,
        };
        if breached {
            let what = due.step.clone().unwrap_or_else(|| "case reply".into());
            sb.log_event(
                &mut tx,
                &review.review_id,
                due.step.as_deref(),
                Actor::Clock,
                "sla-breached",
                None,
                Some(&format!("Amazon's answer on {what} was due {}", iso_ms(due.due_ms))),
                now,
            )
            .await?;
            let kind = crate::flows::by_kind(&review.kind).map_or("unknown", |f| f.kind);
            metrics::counter!("spcred_review_sla_breaches_total", "kind" => kind).increment(1);
        }
        crate::commit(tx).await?;
        Ok(Outcome::Done)
    }
}

pub(crate) fn handlers(sb: &Arc<Sandbox>) -> Vec<(&'static str, Arc<dyn Handler>)> {
    vec![
        (DEADLINE_JOB, Arc::new(DeadlineHandler(sb.clone())) as Arc<dyn Handler>),
        (SLA_JOB, Arc::new(SlaHandler(sb.clone())) as Arc<dyn Handler>),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: StepSpec = StepSpec {
        name: "security-review",
        title: "Security onboarding review",
        start_days: 1,
        review_days: 3,
        appeal_days: Some(3),
        reopens: false,
        after: &[],
        optional: false,
        withhold_reason: false,
    };

    #[test]
    fn the_state_machine_allows_the_guidelines_course_and_nothing_else() {
        use Action as A;
        use State as S;
        assert_eq!(transition(&STEP, S::Open, A::Submit).unwrap(), S::Submitted);
        assert_eq!(transition(&STEP, S::Submitted, A::Start).unwrap(), S::InReview);
        assert_eq!(transition(&STEP, S::InReview, A::RequestInfo).unwrap(), S::InfoRequested);
        assert_eq!(transition(&STEP, S::InfoRequested, A::Submit).unwrap(), S::Submitted);
        assert_eq!(transition(&STEP, S::Submitted, A::Deny).unwrap(), S::Denied);
        assert_eq!(transition(&STEP, S::Denied, A::Appeal).unwrap(), S::InReview);
        assert_eq!(transition(&STEP, S::InReview, A::Approve).unwrap(), S::Approved);
        let no_appeal = StepSpec { appeal_days: None, ..STEP };
        let e = transition(&no_appeal, S::Denied, A::Appeal).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("IllegalTransition", "cannot appeal the step security-review while it is Denied")
        );
        for (state, action) in [
            (S::Locked, A::Submit),
            (S::Open, A::Approve),
            (S::Approved, A::Submit),
            (S::InReview, A::Start),
            (S::InfoRequested, A::Approve),
            (S::Withdrawn, A::Submit),
            (S::Closed, A::Submit),
        ] {
            assert!(transition(&STEP, state, action).is_err(), "{state:?} {action:?}");
        }
        let reopens = StepSpec { reopens: true, ..STEP };
        assert_eq!(transition(&reopens, S::Approved, A::Submit).unwrap(), S::Submitted);
        for s in
            ["Locked", "Open", "Submitted", "InReview", "InfoRequested", "Approved", "Denied", "Withdrawn", "Closed"]
        {
            assert_eq!(State::parse(s).unwrap().as_str(), s);
        }
    }
}
