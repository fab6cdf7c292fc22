//! The organization page (`/org`): create one (you become its admin and first member),
//! add and remove members by username, require two-step verification of all of them,
//! see who has not turned it on (filter by name), and send them a reminder. `/outbox`
//! shows the mail the demo "sent" you (no mail server).

use assent_rp::{MemberAdded, OrgPolicy, Reminder};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::require_user;
use super::security::user_page;
use crate::csrf::Posted;
use crate::db::User;
use crate::error::{AppError, Result};
use crate::html::{self, esc, wait_text};
use crate::session::Session;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/org", get(show))
        .route("/org/create", post(create))
        .route("/org/members", post(add_member))
        .route("/org/members/remove", post(remove_member))
        .route("/org/policy", post(set_policy))
        .route("/org/remind", post(remind))
        .route("/outbox", get(outbox))
}

#[derive(Deserialize, Default)]
struct Filter {
    /// Part of a username.
    #[serde(default)]
    q: String,
    /// Only members without two-step verification.
    #[serde(default)]
    without: Option<String>,
}

/// The organization `user` administers, or a 403.
fn admin_of(state: &AppState, user: &User) -> Result<String> {
    state
        .db
        .administered_org(user)?
        .ok_or(AppError::Forbidden("not an organization admin"))
}

fn user_of_account(state: &AppState, account: &str) -> Result<Option<User>> {
    match account.parse::<i64>() {
        Ok(id) => state.db.user(id),
        Err(_) => Ok(None),
    }
}

async fn show(
    State(state): State<AppState>,
    Query(filter): Query<Filter>,
    mut session: Session,
) -> Result<Html<String>> {
    let user = require_user(&state, &session)?;
    let flash = session.take_flash(&state)?;
    let csrf = session.row.csrf.clone();
    let Some(org) = state.db.administered_org(&user)? else {
        let member = state.rp.organization_of(&user.account()).await?;
        let name = html::input(
            "name",
            "Organization name",
            "text",
            r#"maxlength="64" required"#,
        );
        let body = format!(
            r#"<h1>Organization</h1>{}{}<p>Create an organization to require two-step verification of its members.</p>{}"#,
            html::flash(flash.as_deref()),
            member.map_or(String::new(), |o| format!(
                r#"<p id="member-of">You are a member of <b>{}</b>.</p>"#,
                esc(&o)
            )),
            html::form("/org/create", &csrf, &name, "Create organization", "")
        );
        return Ok(user_page("Organization", &user, &session, &body));
    };
    let policy = state.rp.org_policy(&org).await?;
    let q = filter.q.trim().to_lowercase();
    let only_without = filter.without.is_some();
    let mut rows = String::new();
    let mut without = 0usize;
    for m in state.rp.org_members(&org).await? {
        let Some(member) = user_of_account(&state, &m.account)? else {
            continue;
        };
        if !m.two_step {
            without += 1;
        }
        if (only_without && m.two_step) || !member.username.contains(&q) {
            continue;
        }
        let field = format!(
            r#"<input type="hidden" name="username" value="{}">"#,
            esc(&member.username)
        );
        let status = if m.two_step {
            "two-step verification on".to_owned()
        } else {
            format!(
                "<b>without two-step verification</b>{}",
                m.reminded_at.map_or(String::new(), |t| format!(
                    " · reminded {}",
                    html::date(i64::try_from(t).unwrap_or(0))
                ))
            )
        };
        let remind = if m.two_step {
            String::new()
        } else {
            html::form(
                "/org/remind",
                &csrf,
                &field,
                "Send a reminder",
                "secondary inline",
            )
        };
        rows.push_str(&format!(
            r#"<tr class="member" data-name="{name}"><td>{name}</td><td class="muted">{status}</td><td>{remind}{remove}</td></tr>"#,
            name = esc(&member.username),
            remove = html::form("/org/members/remove", &csrf, &field, "Remove", "danger inline"),
        ));
    }
    let toggle = if policy.require_two_step {
        html::form(
            "/org/policy",
            &csrf,
            "",
            "Stop requiring two-step verification",
            "secondary",
        )
    } else {
        html::form(
            "/org/policy",
            &csrf,
            r#"<input type="hidden" name="require" value="1">"#,
            "Require two-step verification for all members",
            "",
        )
    };
    let body = format!(
        r#"<h1>Organization {org}</h1>{flash}
<p id="org-policy">Two-step verification is <b>{required}</b> for members. {without} member(s) without it.</p>{toggle}
<h2>Members</h2>
<form method="get" action="/org" id="member-filter"><label>Name contains <input name="q" id="q" value="{q}"></label> <label><input type="checkbox" name="without" id="without" value="1"{checked}> only those without two-step verification</label> <button type="submit" class="secondary">Filter</button></form>
<table id="members">{rows}</table>
{add}"#,
        org = esc(&org),
        flash = html::flash(flash.as_deref()),
        required = if policy.require_two_step {
            "required"
        } else {
            "not required"
        },
        q = esc(&q),
        checked = if only_without { " checked" } else { "" },
        add = html::form(
            "/org/members",
            &csrf,
            &html::input("username", "Add a member (username)", "text", "required"),
            "Add member",
            "secondary"
        ),
    );
    Ok(user_page("Organization", &user, &session, &body))
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    name: String,
}

async fn create(
    State(state): State<AppState>,
    Posted(mut session, form): Posted<NameForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        session.row.flash = Some("Give the organization a name of 1 to 64 characters.".into());
    } else if state.db.administered_org(&user)?.is_some() {
        session.row.flash = Some("You administer an organization already.".into());
    } else {
        match state.rp.add_org_member(name, &user.account()).await? {
            MemberAdded::InOther(other) => {
                session.row.flash = Some(format!("You are a member of {other} already."));
            }
            MemberAdded::Added | MemberAdded::AlreadyMember => {
                state.db.add_org_admin(name, &user)?;
                session.row.flash = Some(format!("Organization {name} created."));
            }
        }
    }
    session.save(&state)?;
    Ok(Redirect::to("/org").into_response())
}

#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    username: String,
}

/// An admin's action on the member the form names: runs `act` with the organization,
/// the username and that user (if there is one), shows its message on `/org`.
async fn on_member<F, Fut>(
    state: AppState,
    mut session: Session,
    form: MemberForm,
    act: F,
) -> Result<Response>
where
    F: FnOnce(AppState, String, String, Option<User>) -> Fut,
    Fut: std::future::Future<Output = Result<String>>,
{
    let user = require_user(&state, &session)?;
    let org = admin_of(&state, &user)?;
    let username = form.username.trim().to_lowercase();
    let member = state.db.user_by_name(&username)?.map(|(member, _)| member);
    session.row.flash = Some(act(state.clone(), org, username, member).await?);
    session.save(&state)?;
    Ok(Redirect::to("/org").into_response())
}

async fn add_member(
    State(state): State<AppState>,
    Posted(session, form): Posted<MemberForm>,
) -> Result<Response> {
    on_member(
        state,
        session,
        form,
        |state, org, username, member| async move {
            let Some(member) = member else {
                return Ok(format!("There is no user {username}."));
            };
            Ok(
                match state.rp.add_org_member(&org, &member.account()).await? {
                    MemberAdded::Added => format!("{username} is now a member."),
                    MemberAdded::AlreadyMember => format!("{username} is a member already."),
                    MemberAdded::InOther(_) => {
                        format!("{username} belongs to another organization.")
                    }
                },
            )
        },
    )
    .await
}

async fn remove_member(
    State(state): State<AppState>,
    Posted(session, form): Posted<MemberForm>,
) -> Result<Response> {
    on_member(
        state,
        session,
        form,
        |state, org, username, member| async move {
            let removed = match member {
                Some(member) => state.rp.remove_org_member(&org, &member.account()).await?,
                None => false,
            };
            Ok(if removed {
                format!("{username} is no longer a member.")
            } else {
                format!("{username} was not a member.")
            })
        },
    )
    .await
}

#[derive(Deserialize)]
struct PolicyForm {
    #[serde(default)]
    require: Option<String>,
}

async fn set_policy(
    State(state): State<AppState>,
    Posted(mut session, form): Posted<PolicyForm>,
) -> Result<Response> {
    let user = require_user(&state, &session)?;
    let org = admin_of(&state, &user)?;
    let require_two_step = form.require.is_some();
    state
        .rp
        .set_org_policy(&org, OrgPolicy { require_two_step })
        .await?;
    session.row.flash = Some(if require_two_step {
        "Two-step verification is now required: members without it must turn it on at their next step.".into()
    } else {
        "Two-step verification is no longer required.".into()
    });
    session.save(&state)?;
    Ok(Redirect::to("/org").into_response())
}

async fn remind(
    State(state): State<AppState>,
    Posted(session, form): Posted<MemberForm>,
) -> Result<Response> {
    on_member(
        state,
        session,
        form,
        |state, org, username, member| async move {
            let outcome = match member {
                Some(member) => {
                    state
                        .rp
                        .send_two_step_reminder(&org, &member.account())
                        .await?
                }
                None => Reminder::NotMember,
            };
            Ok(match outcome {
                Reminder::Sent => format!("A reminder was sent to {username}."),
                Reminder::TooSoon { retry_after } => format!(
                    "{username} was reminded recently; you can send another in {}.",
                    wait_text(retry_after)
                ),
                Reminder::NotNeeded => format!("{username} has two-step verification on already."),
                Reminder::NotMember => format!("{username} is not a member."),
            })
        },
    )
    .await
}

async fn outbox(State(state): State<AppState>, session: Session) -> Result<Html<String>> {
    let user = require_user(&state, &session)?;
    let mail = state.db.mail(&user.account())?;
    let items: String = if mail.is_empty() {
        r#"<p class="muted">No mail.</p>"#.to_owned()
    } else {
        mail.iter()
            .map(|m| {
                format!(
                    r#"<div class="mail"><p><b>{}</b> <span class="muted">{}</span></p><p>{}</p></div>"#,
                    esc(&m.subject),
                    html::date(m.at),
                    esc(&m.body)
                )
            })
            .collect()
    };
    let body = format!(
        r#"<h1>Your mail</h1><p class="muted">What the demo would have mailed you (it has no mail server).</p><div id="outbox">{items}</div>"#
    );
    Ok(user_page("Mail", &user, &session, &body))
}
