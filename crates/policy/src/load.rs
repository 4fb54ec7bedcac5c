//! Reading policy files: parse, check the annotations, validate against the schema.
//!
//! The embedded set and a directory given at run time go through this one path, so a policy
//! that would be refused at run time is refused by the tests too. Validation is strict and
//! per file, so an error names the file it comes from; Cedar's diagnostic is kept, with the
//! line and column its first label points at.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cedar_policy as cedar;
use miette::Diagnostic;

use crate::{DEFAULT_DENY, EVALUATION_ERROR};

/// Why a policy set could not be loaded. The server refuses to start on any of them: running
/// with fewer policies than written would deny silently, with more would leak.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        /// The file or directory.
        file: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The directory holds no policy: everything would be denied, which is surely a mistake.
    #[error("{}: no policy file (*.cedar) in this directory", dir.display())]
    NoPolicies {
        /// The directory searched.
        dir: PathBuf,
    },
    /// The schema is not valid Cedar schema syntax or is inconsistent.
    #[error("{}: invalid schema: {diagnostic}", file.display())]
    Schema {
        /// The schema file.
        file: PathBuf,
        /// Cedar's diagnostic, with its position.
        diagnostic: String,
    },
    /// A policy file is not valid Cedar syntax.
    #[error("{}: invalid policy syntax: {diagnostic}", file.display())]
    Syntax {
        /// The policy file.
        file: PathBuf,
        /// Cedar's diagnostic, with its position.
        diagnostic: String,
    },
    /// A policy does not type-check against the schema (unknown attribute, entity or action).
    #[error("{}: policy does not match the schema: {diagnostic}", file.display())]
    Validation {
        /// The policy file.
        file: PathBuf,
        /// Cedar's diagnostics, one per error, separated by `; `.
        diagnostic: String,
    },
    /// A policy lacks `@id` or `@visible`, has a duplicate or reserved id, or is a template.
    #[error("{}: {reason}", file.display())]
    Annotation {
        /// The policy file.
        file: PathBuf,
        /// What is wrong, naming the policy.
        reason: String,
    },
}

/// What a permit reveals, from its `@visible` annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reveal {
    /// `"none"`: no register data.
    Nothing,
    /// `"all"`: every instant.
    All,
    /// `"registrations"`: the principal's own registration periods.
    Registrations,
    /// `"occupancies"`: the principal's own occupancy periods.
    Occupancies,
    /// `"mandates"`: the periods a customer's written mandates give the principal on the
    /// access point, each within that customer's occupancies (R5).
    Mandates,
}

impl Reveal {
    fn parse(text: &str) -> Option<Reveal> {
        match text {
            "none" => Some(Reveal::Nothing),
            "all" => Some(Reveal::All),
            "registrations" => Some(Reveal::Registrations),
            "occupancies" => Some(Reveal::Occupancies),
            "mandates" => Some(Reveal::Mandates),
            _ => None,
        }
    }
}

/// One file's text and the name errors give it.
pub(crate) struct Source {
    pub(crate) file: PathBuf,
    pub(crate) text: String,
}

/// The checked policy set, ready for the authorizer.
pub(crate) struct Loaded {
    pub(crate) schema: cedar::Schema,
    pub(crate) policies: cedar::PolicySet,
    pub(crate) reveals: HashMap<String, Reveal>,
}

/// The schema file a policy directory must hold.
pub(crate) const SCHEMA_FILE: &str = "cloison.cedarschema";

/// Reads `dir/cloison.cedarschema` and every `dir/*.cedar`, in name order so errors come in a
/// stable order.
pub(crate) fn read_dir(dir: &Path) -> Result<(Source, Vec<Source>), PolicyError> {
    let read = |file: PathBuf| match std::fs::read_to_string(&file) {
        Ok(text) => Ok(Source { file, text }),
        Err(source) => Err(PolicyError::Read { file, source }),
    };
    let schema = read(dir.join(SCHEMA_FILE))?;
    let entries = std::fs::read_dir(dir).map_err(|source| PolicyError::Read { file: dir.into(), source })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|source| PolicyError::Read { file: dir.into(), source })?.path();
        if path.extension().is_some_and(|e| e == "cedar") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(PolicyError::NoPolicies { dir: dir.into() });
    }
    files.sort();
    let policies = files.into_iter().map(read).collect::<Result<Vec<_>, _>>()?;
    Ok((schema, policies))
}

/// Parses and checks the schema and every policy file.
pub(crate) fn load(schema: &Source, files: &[Source]) -> Result<Loaded, PolicyError> {
    let schema_parsed = cedar::Schema::from_cedarschema_str(&schema.text).map_err(|e| {
        PolicyError::Schema { file: schema.file.clone(), diagnostic: describe(&e, &schema.text) }
    })?;
    // Warnings (a type shadowing a built-in, say) do not change what is allowed.
    let cedar_schema = schema_parsed.0;
    check_roles(schema)?;
    // `decide` puts no action entities in the store and indexes policies by the actions their
    // scope lists; both are right only while no action is a member of another.
    let actions = cedar_schema.action_entities().map_err(|e| PolicyError::Schema {
        file: schema.file.clone(),
        diagnostic: describe(&e, &schema.text),
    })?;
    for action in actions.iter() {
        if let Some(group) = actions.ancestors(&action.uid()).and_then(|mut groups| groups.next()) {
            return Err(PolicyError::Schema {
                file: schema.file.clone(),
                diagnostic: format!(
                    "action {} is in group {group}: action groups are not supported",
                    action.uid()
                ),
            });
        }
    }
    let validator = cedar::Validator::new(cedar_schema.clone());

    let mut policies = cedar::PolicySet::new();
    let mut reveals = HashMap::new();
    let mut origin: HashMap<String, PathBuf> = HashMap::new();
    for source in files {
        let file = || source.file.clone();
        let parsed: cedar::PolicySet = source.text.parse().map_err(|e: cedar::ParseErrors| {
            PolicyError::Syntax { file: file(), diagnostic: describe(&e, &source.text) }
        })?;
        if let Some(template) = parsed.templates().next() {
            return Err(PolicyError::Annotation {
                file: file(),
                reason: format!(
                    "{}: templates (policies with ?principal or ?resource) are not supported",
                    ordinal(template.id())
                ),
            });
        }
        // Cedar names policies policy0, policy1… in file order; sort so the first faulty
        // policy of the file is the one reported.
        let mut in_file: Vec<&cedar::Policy> = parsed.policies().collect();
        in_file.sort_by_key(|p| position(p.id()));

        let mut renamed = cedar::PolicySet::new();
        for policy in in_file {
            let annotation_error = |reason: String| PolicyError::Annotation { file: file(), reason };
            let id = match policy.annotation("id") {
                Some(id) if !id.trim().is_empty() => id.to_owned(),
                _ => {
                    return Err(annotation_error(format!(
                        "{} has no @id(\"…\") annotation",
                        ordinal(policy.id())
                    )));
                }
            };
            if id == DEFAULT_DENY || id == EVALUATION_ERROR {
                return Err(annotation_error(format!(
                    "policy @id(\"{id}\") uses an id reserved for decisions"
                )));
            }
            if let Some(first) = origin.get(&id) {
                return Err(annotation_error(format!(
                    "policy @id(\"{id}\") is already defined in {}",
                    first.display()
                )));
            }
            let reveal = match policy.annotation("visible") {
                Some(text) => Reveal::parse(text).ok_or_else(|| {
                    annotation_error(format!(
                        "policy @id(\"{id}\"): @visible(\"{text}\") is not one of \"all\", \"registrations\", \
                         \"occupancies\", \"mandates\", \"none\""
                    ))
                })?,
                None => {
                    return Err(annotation_error(format!(
                        "policy @id(\"{id}\") has no @visible(\"…\") annotation saying what it reveals"
                    )));
                }
            };
            renamed
                .add(policy.new_id(cedar::PolicyId::new(&id)))
                .map_err(|e| annotation_error(format!("policy @id(\"{id}\"): {e}")))?;
            origin.insert(id.clone(), file());
            reveals.insert(id, reveal);
        }

        let validation = validator.validate(&renamed, cedar::ValidationMode::Strict);
        if !validation.validation_passed() {
            let diagnostic = validation
                .validation_errors()
                .map(|e| describe(e, &source.text))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(PolicyError::Validation { file: file(), diagnostic });
        }
        for policy in renamed.policies() {
            policies.add(policy.clone()).map_err(|e| PolicyError::Annotation {
                file: file(),
                reason: format!("policy @id(\"{}\"): {e}", policy.id()),
            })?;
        }
    }
    Ok(Loaded { schema: cedar_schema, policies, reveals })
}

/// Refuses a schema whose `Cloison::Role` enum is not exactly [`domain::Role::ALL`].
///
/// A role the schema lacks could never be decided (every question in it would be refused
/// as malformed), and a role only the schema has could be granted by a policy that no actor
/// can ever hold, which hides a typo or a forgotten change in `domain`. Read from the
/// schema's JSON form, the one place Cedar lists an enum's members.
fn check_roles(schema: &Source) -> Result<(), PolicyError> {
    let refuse = |diagnostic: String| PolicyError::Schema { file: schema.file.clone(), diagnostic };
    let (fragment, _warnings) = cedar::SchemaFragment::from_cedarschema_str(&schema.text)
        .map_err(|e| refuse(describe(&e, &schema.text)))?;
    let json = fragment.to_json_value().map_err(|e| refuse(format!("cannot read the role enum: {e}")))?;
    let members = json
        .pointer("/Cloison/entityTypes/Role/enum")
        .and_then(|list| list.as_array())
        .ok_or_else(|| refuse("entity Cloison::Role must be an enum of Cloison's roles".into()))?;
    let declared: Vec<&str> = members.iter().filter_map(|m| m.as_str()).collect();
    let known: Vec<&str> = domain::Role::ALL.into_iter().map(domain::Role::as_str).collect();
    let missing: Vec<&str> = known.iter().copied().filter(|r| !declared.contains(r)).collect();
    let unknown: Vec<&str> = declared.iter().copied().filter(|r| !known.contains(r)).collect();
    if missing.is_empty() && unknown.is_empty() {
        return Ok(());
    }
    let quoted = |roles: &[&str]| roles.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(", ");
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("lacks {}", quoted(&missing)));
    }
    if !unknown.is_empty() {
        problems.push(format!("has {}, which Cloison does not know", quoted(&unknown)));
    }
    Err(refuse(format!(
        "entity Cloison::Role {}: its members must be exactly Cloison's roles ({})",
        problems.join(" and "),
        known.join(", ")
    )))
}

/// The place of a policy in its file, from Cedar's default id `policyN`.
fn position(id: &cedar::PolicyId) -> usize {
    id.to_string().strip_prefix("policy").and_then(|n| n.parse().ok()).unwrap_or(usize::MAX)
}

/// "policy 3 of the file", from Cedar's default id.
fn ordinal(id: &cedar::PolicyId) -> String {
    match position(id) {
        usize::MAX => format!("policy `{id}`"),
        n => format!("policy {} of the file", n + 1),
    }
}

/// Cedar's message, prefixed by the line and column of its first label and followed by its
/// help, on one line: this goes to a start-up error, not to a terminal that renders spans.
fn describe(error: &dyn Diagnostic, text: &str) -> String {
    let mut out = String::new();
    if let Some(label) = error.labels().and_then(|mut labels| labels.next()) {
        let (line, column) = line_column(text, label.offset());
        let _ = write!(out, "line {line}, column {column}: ");
    }
    let _ = write!(out, "{error}");
    if let Some(help) = error.help() {
        let _ = write!(out, " (help: {help})");
    }
    if let Some(related) = error.related() {
        for other in related {
            let _ = write!(out, "; {}", describe(other, text));
        }
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
