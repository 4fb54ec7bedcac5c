//! The ethics committee's pages: journal search, one entry, the signed head with its
//! checkpoint, verification on demand, and the inclusion proof of any entry checked in front
//! of the reader.
//!
//! The proof page recomputes the leaf hash from the entry's stored bytes and checks the proof
//! against the signed head with the journal's public key, as an outside verifier would: the
//! page shows the hashes it used, so the reader can repeat the check elsewhere.

use std::collections::HashMap;

use app::JournalQuery;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jiff::Timestamp;

use crate::Web;
use crate::door::Door;
use crate::pages::{Action, Answer, Field, Fields, html};
use crate::render::{self, esc};

/// Journal search by subject, actor and time.
pub async fn search(State(web): State<Web>, door: Door, Query(q): Query<HashMap<String, String>>) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let value = |name: &str| q.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut fields = vec![
        Field::text(t, "subject", &value("subject").unwrap_or_default()).hint(t.get("hint-subject")),
        Field::text(t, "actor", &value("actor").unwrap_or_default()),
        Field::text(t, "from", &value("from").unwrap_or_default()).kind("datetime-local"),
        Field::text(t, "to", &value("to").unwrap_or_default()).kind("datetime-local"),
    ];
    let mut times = [None, None];
    let mut bad = false;
    for (slot, (i, name)) in times.iter_mut().zip([(2, "from"), (3, "to")]) {
        if let Some(text) = value(name) {
            match parse_local(&text) {
                Some(at) => *slot = Some(at),
                None => {
                    fields[i].error = Some(t.get("error-at"));
                    bad = true;
                }
            }
        }
    }
    let title = t.get("journal-title");
    let form = html(&Fields {
        method: "get",
        action: "/ui/journal",
        csrf: None,
        fields,
        submit: t.get("journal-submit"),
    });
    if bad {
        return Ok(door
            .noticed(&title, &form, t.get("error-fix-fields"), StatusCode::BAD_REQUEST)
            .into_response());
    }
    if q.is_empty() {
        return Ok(door.page(&title, &form).into_response());
    }
    let query = JournalQuery {
        subject: value("subject"),
        actor: value("actor"),
        from: times[0],
        to: times[1],
        limit: 200,
    };
    let sent = web.app.journal_search(&session.actor, &query).await.map_err(|e| door.failure(e, &web))?;
    let mut body = form;
    if sent.view().is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&t.get("answer-none"))));
    } else {
        body.push_str(&format!(
            "<div class=\"scroll\"><table><caption>{}</caption><thead><tr>{}</tr></thead><tbody>",
            esc(&t.with("journal-found", &[("n", t.int(sent.view().len() as i64))])),
            ["sequence", "time", "actor", "action", "outcome", "subjects"]
                .iter()
                .map(|f| format!("<th scope=\"col\">{}</th>", esc(&render::label(t, f))))
                .collect::<String>()
        ));
        for stored in sent.view() {
            let e = &stored.entry;
            let time = Timestamp::from_microsecond(e.time_micros).map(|at| t.instant(at)).unwrap_or_default();
            body.push_str(&format!(
                "<tr><td><a href=\"/ui/journal/entries/{n}\">{n}</a></td><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&time),
                esc(&e.actor.party_id),
                esc(&e.actor.role),
                esc(&e.action),
                esc(&e.outcome),
                esc(&e.subjects.join(", ")),
                n = e.sequence,
            ));
        }
        body.push_str("</tbody></table></div>");
    }
    Ok(door.answer_page(&title, &body, sent.label()).into_response())
}

fn parse_local(text: &str) -> Option<Timestamp> {
    domain::instant::parse_rfc3339(text).ok().or_else(|| {
        text.parse::<jiff::civil::DateTime>()
            .ok()?
            .to_zoned(crate::i18n::brussels())
            .ok()
            .map(|z| z.timestamp())
    })
}

/// One entry, whole.
pub async fn entry(State(web): State<Web>, door: Door, Path(index): Path<String>) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let Ok(index) = index.parse::<u64>() else {
        return Err(door.failure(app::AppError::NoSuch("entry"), &web));
    };
    let sent = web.app.journal_entry(&session.actor, index).await.map_err(|e| door.failure(e, &web))?;
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    let mut body = render::answer(t, &value);
    body.push_str(&format!(
        "<p><a href=\"/ui/journal/proof?index={index}\">{}</a></p>",
        esc(&t.get("proof-check-this"))
    ));
    let title = t.with("entry-title", &[("n", index.to_string())]);
    Ok(door.answer_page(&title, &body, sent.label()).into_response())
}

/// The signed head, its C2SP checkpoint, and the form that verifies the whole journal now.
pub async fn head(State(web): State<Web>, door: Door) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let head = web.app.journal_head().await.map_err(|e| door.failure(e, &web))?;
    let view = app::HeadView::new(&head, &web.app.journal_public_key());
    let value = serde_json::to_value(&view).unwrap_or_default();
    let note = web.app.journal_published_checkpoint().await.map_err(|e| door.failure(e, &web))?;
    let mut body = render::answer(t, &value);
    body.push_str(&format!(
        "<h2>{}</h2><pre class=\"note\">{}</pre>",
        esc(&t.get("head-checkpoint")),
        esc(&note)
    ));
    body.push_str(&format!("<h2>{}</h2><p>{}</p>", esc(&t.get("verify-title")), esc(&t.get("verify-intro"))));
    body.push_str(&html(&Action {
        action: "/ui/journal/verify",
        csrf: &session.csrf,
        hidden: Vec::new(),
        text: &t.get("verify-submit"),
        aria_label: None,
    }));
    Ok(door.page(&t.get("head-title"), &body).into_response())
}

/// Verifies the whole journal now, through the gate, and shows the verdict.
pub async fn verify(
    State(web): State<Web>,
    door: Door,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Answer {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let session = door.check_csrf(&web, &form).await?;
    let t = &door.t;
    let sent = web.app.journal_verify_for(&session.actor).await.map_err(|e| door.failure(e, &web))?;
    let v = sent.view();
    let mut body = if v.intact {
        format!("<p class=\"ok\" role=\"status\">{}</p>", esc(&t.get("verify-intact")))
    } else {
        format!("<p class=\"bad\" role=\"alert\">{}</p>", esc(&t.get("verify-fault")))
    };
    let value: serde_json::Value = serde_json::from_slice(sent.json()).unwrap_or_default();
    body.push_str(&render::answer(t, &value));
    let status = if v.intact { StatusCode::OK } else { StatusCode::CONFLICT };
    Ok(door.answer_page(&t.get("verify-title"), &body, sent.label()).status(status).into_response())
}

/// The inclusion proof of one entry, checked here against the signed head.
pub async fn proof(State(web): State<Web>, door: Door, Query(q): Query<HashMap<String, String>>) -> Answer {
    let session = door.signed()?;
    let t = &door.t;
    let title = t.get("proof-title");
    let index_text = q.get("index").map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut field = Field::text(t, "index", &index_text).kind("number");
    if index_text.is_empty() {
        let form = html(&Fields {
            method: "get",
            action: "/ui/journal/proof",
            csrf: None,
            fields: vec![field],
            submit: t.get("proof-submit"),
        });
        return Ok(door.page(&title, &form).into_response());
    }
    let head = web.app.journal_head().await.map_err(|e| door.failure(e, &web))?;
    let index = match index_text.parse::<u64>() {
        Ok(i) if i < head.head.size => i,
        _ => {
            field.error = Some(
                t.with("error-index", &[("size", t.int(i64::try_from(head.head.size).unwrap_or(i64::MAX)))]),
            );
            let form = html(&Fields {
                method: "get",
                action: "/ui/journal/proof",
                csrf: None,
                fields: vec![field],
                submit: t.get("proof-submit"),
            });
            return Ok(door
                .noticed(&title, &form, t.get("error-fix-fields"), StatusCode::BAD_REQUEST)
                .into_response());
        }
    };
    let form = html(&Fields {
        method: "get",
        action: "/ui/journal/proof",
        csrf: None,
        fields: vec![field],
        submit: t.get("proof-submit"),
    });
    // Reading the entry is the committee's act, journaled and decided at the gate; the proof
    // and the head are public hashes.
    let sent = web.app.journal_entry(&session.actor, index).await.map_err(|e| door.failure(e, &web))?;
    let leaf = journal::leaf_hash(&sent.view().bytes);
    let size = head.head.size;
    let hashes = web.app.journal_inclusion_proof(index, size).await.map_err(|e| door.failure(e, &web))?;
    let signed = head.verify(&web.app.journal_public_key()).is_ok();
    let included = journal::verify_inclusion(&leaf, index, size, &hashes, &head.head.root).is_ok();
    let mut body = form;
    body.push_str(&if signed && included {
        format!("<p class=\"ok\" role=\"status\">{}</p>", esc(&t.get("proof-holds")))
    } else {
        format!("<p class=\"bad\" role=\"alert\">{}</p>", esc(&t.get("proof-fails")))
    });
    let value = serde_json::json!({
        "index": index,
        "size": size,
        "leaf_hash": leaf.to_string(),
        "proof": hashes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "root": head.head.root.to_string(),
        "head_signature_valid": signed,
        "included": included,
    });
    body.push_str(&render::answer(t, &value));
    Ok(door.answer_page(&title, &body, sent.label()).into_response())
}
