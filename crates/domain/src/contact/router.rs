//! Routing: which principal an interaction belongs to, which queues it visits, and which
//! operator is offered it.
//!
//! The entry point alone picks the principal (R12): the number dialled, the mailbox written
//! to, the chat id. From then on only that principal's rules, queues and operators are looked
//! at, so no attribute an interaction carries — however it was forged in an IVR — can send it
//! to another principal's queue or operator. The configuration refuses cross-principal routes
//! already; the router keeps to its principal anyway, and re-checks each operator's skills for
//! incompatible pairs, in case it is given a configuration that was built in code and never
//! checked.
//!
//! The rules of a principal are tried in order; the first whose `when` holds gives the steps:
//! its targets in order, each for the rule's timeout, then the principal's default queue (if
//! not already a target). When no rule holds, the one step is the default queue, without
//! timeout. An operator is eligible on a step when it is available, holds every skill of the
//! queue (the skills granted for this principal plus the skill implied by its kind — a skill
//! granted for another principal does not count), is not matched by the rule's `exclude`, and
//! holds no incompatible pair over every principal it serves.
//!
//! [`Router::decide`] is on the hot path (≥ 100,000 decisions per second): the configuration is
//! compiled once in [`Router::new`] — entry points indexed per channel, the operators qualified
//! for each queue listed in advance — and a decision allocates only the strings it returns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::config::ContactConfig;
use super::rule::{Attributes, Expr, OperatorView};
use super::{Channel, ContactError};

/// An interaction to route: how it came, where to, and what the IVR or the web form learnt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// The channel it came by.
    pub channel: Channel,
    /// The address of the entry point dialled or written to.
    pub entry: String,
    /// Free attributes (`language`, `ivr`, `customer`…). `channel` and `entry` are set by the
    /// router from the fields above; an attribute of the same name here is ignored.
    pub attributes: BTreeMap<String, String>,
}

/// One queue an interaction visits, with the operators eligible there now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingStep {
    /// The queue id (of the interaction's principal).
    pub queue: String,
    /// How long the interaction waits here before the next step; 0 means no timeout.
    pub timeout_seconds: u32,
    /// The eligible operators' parties, in configuration order.
    pub operators: Vec<String>,
}

/// The whole route of an interaction: for review screens and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// The principal owning the entry point.
    pub principal: String,
    /// The rule that applied, or `None` when the default queue was used.
    pub rule: Option<String>,
    /// The queues in order, the default queue last.
    pub steps: Vec<RoutingStep>,
}

impl Routing {
    /// The assignment of a new interaction, before any wait: the first step with an eligible
    /// operator and its first one, or the last step with none. Exactly what
    /// [`Router::decide`] answers with no time waited, without evaluating the rules again.
    pub fn assignment(&self) -> Assignment {
        let offered =
            self.steps.iter().find_map(|s| s.operators.first().map(|o| (&s.queue, Some(o.clone()))));
        let (queue, operator) = offered
            .or_else(|| self.steps.last().map(|s| (&s.queue, None)))
            .map_or((String::new(), None), |(queue, operator)| (queue.clone(), operator));
        Assignment { principal: self.principal.clone(), rule: self.rule.clone(), queue, operator }
    }
}

/// Where an interaction is after having waited some time, and whom to offer it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The principal owning the entry point.
    pub principal: String,
    /// The rule that applied, or `None` when the default queue was used.
    pub rule: Option<String>,
    /// The queue the interaction is in.
    pub queue: String,
    /// The first eligible operator there, or `None` when it has to wait.
    pub operator: Option<String>,
}

/// A configuration compiled for routing.
#[derive(Debug, Clone)]
pub struct Router {
    principals: Vec<Compiled>,
    /// Per channel (by [`Channel::index`]): address → owner.
    entries: [HashMap<String, Owner>; 4],
}

#[derive(Debug, Clone, Copy)]
enum Owner {
    One(usize),
    /// Only in a configuration that was never checked: refused rather than guessed.
    Shared,
}

#[derive(Debug, Clone)]
struct Compiled {
    id: String,
    queues: Vec<String>,
    operators: Vec<CompiledOperator>,
    /// Per queue: the operators holding its skills and no incompatible pair, in config order.
    qualified: Vec<Vec<usize>>,
    rules: Vec<CompiledRule>,
    /// The steps when no rule applies: the default queue without timeout.
    fallback: Vec<Step>,
}

/// A queue to visit (an index into the principal's queues) and the time spent there.
#[derive(Debug, Clone, Copy)]
struct Step {
    queue: usize,
    /// 0 means no timeout.
    timeout: u32,
}

/// The rule that applied (if any) and the steps it gives.
type Selected<'s> = (Option<&'s CompiledRule>, &'s [Step]);

#[derive(Debug, Clone)]
struct CompiledOperator {
    party: String,
    /// Granted for this principal, plus the implied kind skill.
    skills: BTreeSet<String>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    id: String,
    when: Expr,
    exclude: Option<Expr>,
    steps: Vec<Step>,
}

/// The interaction's attributes with `channel` and `entry` in front, without copying.
struct View<'a> {
    channel: &'static str,
    entry: &'a str,
    attributes: &'a BTreeMap<String, String>,
}

impl Attributes for View<'_> {
    fn attribute(&self, name: &str) -> Option<&str> {
        match name {
            "channel" => Some(self.channel),
            "entry" => Some(self.entry),
            _ => self.attributes.get(name).map(String::as_str),
        }
    }
}

impl Compiled {
    fn select(&self, view: &View) -> Selected<'_> {
        match self.rules.iter().find(|r| r.when.eval_with(view, None)) {
            Some(rule) => (Some(rule), &rule.steps),
            None => (None, &self.fallback),
        }
    }

    fn eligible<'s>(
        &'s self,
        queue: usize,
        rule: Option<&'s CompiledRule>,
        view: &'s View,
        available: &'s dyn Fn(&str) -> bool,
    ) -> impl Iterator<Item = &'s CompiledOperator> + 's {
        let exclude = rule.and_then(|r| r.exclude.as_ref());
        self.qualified.get(queue).into_iter().flatten().filter_map(move |&o| {
            let operator = self.operators.get(o)?;
            if !available(&operator.party) {
                return None;
            }
            let excluded = exclude.is_some_and(|x| {
                x.eval_with(view, Some(&OperatorView { party: &operator.party, skills: &operator.skills }))
            });
            (!excluded).then_some(operator)
        })
    }
}

impl Router {
    /// Compiles `config` for routing. Routes that would leave their principal and operators
    /// holding an incompatible pair are left out rather than trusted, should `config` not
    /// have been checked.
    pub fn new(config: &ContactConfig) -> Router {
        let mut entries: [HashMap<String, Owner>; 4] = Default::default();
        let mut principals = Vec::with_capacity(config.principals.len());
        // Soundness of each party over every principal it serves, computed once per party.
        let mut sound: HashMap<&str, bool> = HashMap::new();
        for principal in &config.principals {
            for operator in &principal.operators {
                sound.entry(&operator.party).or_insert_with(|| {
                    config.incompatible_pair(&config.skills_of(&operator.party)).is_none()
                });
            }
        }
        for (p, principal) in config.principals.iter().enumerate() {
            for entry in &principal.entry_points {
                entries[entry.channel.index()]
                    .entry(entry.address.clone())
                    .and_modify(|owner| {
                        if !matches!(owner, Owner::One(o) if *o == p) {
                            *owner = Owner::Shared;
                        }
                    })
                    .or_insert(Owner::One(p));
            }
            let queues: Vec<String> = principal.queues.iter().map(|q| q.id.clone()).collect();
            let index = |id: &str| queues.iter().position(|q| q == id);
            let operators: Vec<CompiledOperator> = principal
                .operators
                .iter()
                .map(|o| {
                    let mut skills = o.skills.clone();
                    skills.extend(principal.kind.implied_skill().map(str::to_owned));
                    CompiledOperator { party: o.party.clone(), skills }
                })
                .collect();
            let qualified = principal
                .queues
                .iter()
                .map(|queue| {
                    operators
                        .iter()
                        .enumerate()
                        .filter(|(_, o)| sound.get(o.party.as_str()).copied().unwrap_or(false))
                        .filter(|(_, o)| queue.skills.is_subset(&o.skills))
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect();
            let default = index(&principal.default_queue);
            let rules = principal
                .rules
                .iter()
                .map(|rule| {
                    let mut steps: Vec<Step> = Vec::with_capacity(rule.targets.len() + 1);
                    for target in &rule.targets {
                        if let Some(q) = index(target) {
                            if !steps.iter().any(|s| s.queue == q) {
                                steps.push(Step { queue: q, timeout: rule.timeout_seconds });
                            }
                        }
                    }
                    if let Some(d) = default {
                        if !steps.iter().any(|s| s.queue == d) {
                            steps.push(Step { queue: d, timeout: 0 });
                        }
                    }
                    CompiledRule {
                        id: rule.id.clone(),
                        when: rule.when.clone(),
                        exclude: rule.exclude.clone(),
                        steps,
                    }
                })
                .collect();
            principals.push(Compiled {
                id: principal.id.clone(),
                fallback: default.map(|d| vec![Step { queue: d, timeout: 0 }]).unwrap_or_default(),
                queues,
                operators,
                qualified,
                rules,
            });
        }
        Router { principals, entries }
    }

    /// The principal owning the entry point (`channel`, `address`), matched exactly.
    pub fn principal_of(&self, channel: Channel, address: &str) -> Option<&str> {
        match self.entries[channel.index()].get(address) {
            Some(Owner::One(p)) => self.principals.get(*p).map(|c| c.id.as_str()),
            _ => None,
        }
    }

    fn compiled(&self, interaction: &Interaction) -> Result<&Compiled, ContactError> {
        let key = || format!("{}:{}", interaction.channel.as_str(), interaction.entry);
        match self.entries[interaction.channel.index()].get(&interaction.entry) {
            Some(Owner::One(p)) => self.principals.get(*p).ok_or_else(|| {
                ContactError::new(
                    "entry",
                    "unknown_entry_point",
                    format!("no principal owns entry point {}", key()),
                )
            }),
            Some(Owner::Shared) => Err(ContactError::new(
                "entry",
                "shared_entry_point",
                format!("entry point {} is owned by more than one principal: not routed (R12)", key()),
            )),
            None => Err(ContactError::new(
                "entry",
                "unknown_entry_point",
                format!("no principal owns entry point {}", key()),
            )),
        }
    }

    fn steps<'s>(compiled: &'s Compiled, view: &View) -> Result<Selected<'s>, ContactError> {
        let (rule, steps) = compiled.select(view);
        if steps.is_empty() {
            return Err(ContactError::new(
                "default_queue",
                "no_queue",
                format!("principal {} has no default queue of its own to route to", compiled.id),
            ));
        }
        Ok((rule, steps))
    }

    /// The whole route of `interaction`: its principal, the rule that applied, and each step
    /// with the operators eligible there given `available`. Refused (code
    /// `unknown_entry_point`, field `entry`) when no principal owns the entry point.
    pub fn route(
        &self,
        interaction: &Interaction,
        available: &dyn Fn(&str) -> bool,
    ) -> Result<Routing, ContactError> {
        let compiled = self.compiled(interaction)?;
        let view = View {
            channel: interaction.channel.as_str(),
            entry: &interaction.entry,
            attributes: &interaction.attributes,
        };
        let (rule, steps) = Router::steps(compiled, &view)?;
        Ok(Routing {
            principal: compiled.id.clone(),
            rule: rule.map(|r| r.id.clone()),
            steps: steps
                .iter()
                .map(|step| RoutingStep {
                    queue: compiled.queues.get(step.queue).cloned().unwrap_or_default(),
                    timeout_seconds: step.timeout,
                    operators: compiled
                        .eligible(step.queue, rule, &view, available)
                        .map(|o| o.party.clone())
                        .collect(),
                })
                .collect(),
        })
    }

    /// Where `interaction` is after `waited_seconds`, and the first eligible operator there.
    ///
    /// The step in effect is found by adding up the timeouts of the steps before it (a step
    /// without timeout is never left by waiting; past the last step the interaction stays on
    /// the last); from there, steps with no eligible operator are skipped at once. When no
    /// step from there on has one, the interaction waits on the last step with no operator.
    pub fn decide(
        &self,
        interaction: &Interaction,
        available: &dyn Fn(&str) -> bool,
        waited_seconds: u32,
    ) -> Result<Assignment, ContactError> {
        let compiled = self.compiled(interaction)?;
        let view = View {
            channel: interaction.channel.as_str(),
            entry: &interaction.entry,
            attributes: &interaction.attributes,
        };
        let (rule, steps) = Router::steps(compiled, &view)?;
        let mut current = steps.len() - 1;
        let mut elapsed = 0u64;
        for (i, &Step { timeout, .. }) in steps.iter().enumerate() {
            if timeout == 0 || u64::from(waited_seconds) < elapsed + u64::from(timeout) {
                current = i;
                break;
            }
            elapsed += u64::from(timeout);
        }
        let mut chosen = None;
        for &Step { queue, .. } in &steps[current..] {
            if let Some(operator) = compiled.eligible(queue, rule, &view, available).next() {
                chosen = Some((queue, operator));
                break;
            }
        }
        let (queue, operator) = match chosen {
            Some((queue, operator)) => (queue, Some(operator.party.clone())),
            None => (steps[steps.len() - 1].queue, None),
        };
        Ok(Assignment {
            principal: compiled.id.clone(),
            rule: rule.map(|r| r.id.clone()),
            queue: compiled.queues.get(queue).cloned().unwrap_or_default(),
            operator,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
[[principal]]
id = "dso"
name = "DSO"
kind = "dso"
default_queue = "general"
[[principal.entry_point]]
channel = "call"
address = "+3278151515"
[[principal.queue]]
id = "general"
skills = ["general"]
[[principal.queue]]
id = "outage"
skills = ["outage"]
[[principal.rule]]
id = "outage"
when = 'ivr = "outage"'
to = ["outage"]
timeout_seconds = 10
[[principal.operator]]
party = "op-a"
skills = ["general"]
[[principal.operator]]
party = "op-b"
skills = ["general", "outage"]
"#;

    fn interaction(ivr: Option<&str>) -> Interaction {
        Interaction {
            channel: Channel::Call,
            entry: "+3278151515".into(),
            attributes: ivr.map(|v| ("ivr".to_owned(), v.to_owned())).into_iter().collect(),
        }
    }

    #[test]
    fn the_default_queue_closes_every_rule_and_waiting_moves_on() {
        let config = ContactConfig::parse(CONFIG).expect("valid");
        let router = Router::new(&config);
        let all = |_: &str| true;
        let routing = router.route(&interaction(Some("outage")), &all).expect("routed");
        assert_eq!(routing.rule.as_deref(), Some("outage"));
        let queues: Vec<_> = routing.steps.iter().map(|s| (s.queue.as_str(), s.timeout_seconds)).collect();
        assert_eq!(queues, [("outage", 10), ("general", 0)]);
        assert_eq!(routing.steps[1].operators, ["op-a", "op-b"]);
        let only_a = |p: &str| p == "op-a";
        let d = router.decide(&interaction(Some("outage")), &only_a, 0).expect("decided");
        assert_eq!((d.queue.as_str(), d.operator.as_deref()), ("general", Some("op-a")));
        let d = router.decide(&interaction(Some("outage")), &all, 9).expect("decided");
        assert_eq!((d.queue.as_str(), d.operator.as_deref()), ("outage", Some("op-b")));
        let d = router.decide(&interaction(Some("outage")), &all, 10).expect("decided");
        assert_eq!((d.queue.as_str(), d.operator.as_deref()), ("general", Some("op-a")));
        let d = router.decide(&interaction(None), &|_| false, 1000).expect("decided");
        assert_eq!((d.rule, d.queue.as_str(), d.operator), (None, "general", None));
    }

    #[test]
    fn the_router_sets_channel_and_entry_over_forged_attributes() {
        let text = CONFIG.replace("ivr = \"outage\"", "channel = \"chat\"");
        let config = ContactConfig::parse(&text).expect("valid");
        let router = Router::new(&config);
        let mut forged = interaction(None);
        forged.attributes.insert("channel".into(), "chat".into());
        let d = router.decide(&forged, &|_| true, 0).expect("decided");
        assert_eq!(d.rule, None);
    }
}
