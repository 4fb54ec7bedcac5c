//! The routing-rule language: a small boolean language over an interaction's attributes and,
//! for exclusions, over the operator being considered.
//!
//! Rules are written by the contact center's supervisors in the configuration, not in code,
//! so the language is deliberately small — no arithmetic, no regular expressions, no
//! functions — which keeps every rule decidable at a glance, cheap to evaluate on the routing
//! path, and unable to reach anything but the interaction at hand and one operator. A general
//! embedded language (Cedar, Rhai) was rejected: routing is not authorization, and a Turing
//! tail on the hot path is a performance and review hazard.
//!
//! # Grammar
//!
//! ```text
//! expr       := or
//! or         := and ( "or" and )*
//! and        := unary ( "and" unary )*
//! unary      := "not" unary | primary
//! primary    := "(" expr ")" | "true" | "false"
//!             | "has" string                       -- the operator holds the skill
//!             | subject "=" string
//!             | subject "!=" string
//!             | subject "in" "[" [ string ( "," string )* ] "]"
//! subject    := name | "operator.party"
//! name       := [A-Za-z_][A-Za-z0-9_]*             -- not a keyword
//! string     := '"' ( any character but '"' and '\' | '\"' | '\\' )* '"'
//! ```
//!
//! Keywords (`and`, `or`, `not`, `in`, `has`, `true`, `false`) are lowercase. Whitespace,
//! newlines included, separates tokens. `and` binds tighter than `or`; both associate to the
//! left. Nesting is limited to 64 levels so a hostile configuration cannot exhaust the stack.
//!
//! # Meaning
//!
//! Names are attributes of the interaction: `channel` (`call`, `mail`, `sms`, `chat`) and
//! `entry` (the address dialled or written to) are always present, set by the router; others
//! (`language`, `ivr`, `customer`…) come with the interaction. A missing attribute compares
//! unequal: `name = "x"` and `name in [...]` are false, `name != "x"` is true. `has "x"` is
//! true when the operator holds skill `x`, false when no operator is given; likewise
//! `operator.party` compares unequal when there is no operator.
//!
//! ```text
//! language = "de" and (ivr in ["outage", "smell"] or channel = "call")
//! not has "senior" or operator.party = "staff-ana"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ContactError, line_column};

/// How deep parentheses and `not` may nest.
pub const MAX_DEPTH: usize = 64;

/// A parsed rule expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// Always true.
    True,
    /// Always false.
    False,
    /// The negation of the inner expression.
    Not(Box<Expr>),
    /// Both hold (left evaluated first, the right one only if needed).
    And(Box<Expr>, Box<Expr>),
    /// Either holds (left evaluated first, the right one only if needed).
    Or(Box<Expr>, Box<Expr>),
    /// A test of an attribute or of the operator's party.
    Compare {
        /// What is tested.
        subject: Subject,
        /// How.
        test: Test,
    },
    /// The operator holds this skill.
    Has(String),
}

/// What a comparison looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// An attribute of the interaction, by name.
    Attribute(String),
    /// The party id of the operator being considered (`operator.party`).
    OperatorParty,
}

/// How a comparison tests its subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Test {
    /// `= "text"`: present and equal.
    Eq(String),
    /// `!= "text"`: absent or different.
    Ne(String),
    /// `in ["a", "b"]`: present and one of these.
    In(Vec<String>),
}

/// The operator a rule is evaluated against: enough to decide `has` and `operator.party`, and
/// nothing else about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorView<'a> {
    /// The operator's party id.
    pub party: &'a str,
    /// The skills the operator holds for the principal being routed for, implied ones included.
    pub skills: &'a BTreeSet<String>,
}

/// Where an expression reads the interaction's attributes.
///
/// A trait rather than a map so the router can present `channel` and `entry` alongside the
/// interaction's own attributes without copying them into a new map on every decision.
pub trait Attributes {
    /// The value of attribute `name`, if the interaction has one.
    fn attribute(&self, name: &str) -> Option<&str>;
}

impl Attributes for BTreeMap<String, String> {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Expr {
    /// The expression written in `text`, or a refusal (code `bad_expression`, field
    /// `expression`) saying what was expected at which (line, column) of `text`.
    pub fn parse(text: &str) -> Result<Expr, ContactError> {
        let tokens = lex(text)?;
        let mut parser = Parser { text, tokens, next: 0, depth: 0 };
        let expr = parser.or()?;
        match parser.peek() {
            Token::End => Ok(expr),
            _ => Err(parser.expected("`and`, `or` or the end of the expression")),
        }
    }

    /// Whether the expression holds for `interaction`'s attributes and, if one is given, the
    /// operator.
    pub fn eval(&self, interaction: &BTreeMap<String, String>, operator: Option<&OperatorView>) -> bool {
        self.eval_with(interaction, operator)
    }

    /// [`Expr::eval`] over any source of attributes.
    pub fn eval_with<A: Attributes + ?Sized>(&self, attributes: &A, operator: Option<&OperatorView>) -> bool {
        match self {
            Expr::True => true,
            Expr::False => false,
            Expr::Not(inner) => !inner.eval_with(attributes, operator),
            Expr::And(l, r) => l.eval_with(attributes, operator) && r.eval_with(attributes, operator),
            Expr::Or(l, r) => l.eval_with(attributes, operator) || r.eval_with(attributes, operator),
            Expr::Has(skill) => operator.is_some_and(|o| o.skills.contains(skill)),
            Expr::Compare { subject, test } => {
                let value = match subject {
                    Subject::Attribute(name) => attributes.attribute(name),
                    Subject::OperatorParty => operator.map(|o| o.party),
                };
                match (test, value) {
                    (Test::Eq(want), Some(v)) => v == want,
                    (Test::Ne(want), Some(v)) => v != want,
                    (Test::In(set), Some(v)) => set.iter().any(|w| w == v),
                    (Test::Ne(_), None) => true,
                    (Test::Eq(_) | Test::In(_), None) => false,
                }
            }
        }
    }

    /// Every attribute the expression compares, with the values it names — what a simulator
    /// draws from so that rules fire, and what a review screen lists.
    pub fn attribute_values(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        self.collect_values(&mut out);
        out
    }

    fn collect_values(&self, out: &mut BTreeMap<String, BTreeSet<String>>) {
        match self {
            Expr::True | Expr::False | Expr::Has(_) => {}
            Expr::Not(inner) => inner.collect_values(out),
            Expr::And(l, r) | Expr::Or(l, r) => {
                l.collect_values(out);
                r.collect_values(out);
            }
            Expr::Compare { subject: Subject::OperatorParty, .. } => {}
            Expr::Compare { subject: Subject::Attribute(name), test } => {
                let values = out.entry(name.clone()).or_default();
                match test {
                    Test::Eq(v) | Test::Ne(v) => {
                        values.insert(v.clone());
                    }
                    Test::In(set) => values.extend(set.iter().cloned()),
                }
            }
        }
    }

    /// Whether the expression looks at the operator (`has`, `operator.party`): a rule's
    /// `when` is decided before any operator is chosen, so the configuration refuses it there.
    pub fn uses_operator(&self) -> bool {
        match self {
            Expr::True | Expr::False => false,
            Expr::Has(_) | Expr::Compare { subject: Subject::OperatorParty, .. } => true,
            Expr::Compare { subject: Subject::Attribute(_), .. } => false,
            Expr::Not(inner) => inner.uses_operator(),
            Expr::And(l, r) | Expr::Or(l, r) => l.uses_operator() || r.uses_operator(),
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Or(..) => 1,
            Expr::And(..) => 2,
            Expr::Not(_) => 3,
            _ => 4,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, at_least: u8) -> fmt::Result {
        let parens = self.precedence() < at_least;
        if parens {
            f.write_str("(")?;
        }
        match self {
            Expr::True => f.write_str("true")?,
            Expr::False => f.write_str("false")?,
            Expr::Not(inner) => {
                f.write_str("not ")?;
                inner.write(f, 3)?;
            }
            Expr::And(l, r) => {
                l.write(f, 2)?;
                f.write_str(" and ")?;
                r.write(f, 3)?;
            }
            Expr::Or(l, r) => {
                l.write(f, 1)?;
                f.write_str(" or ")?;
                r.write(f, 2)?;
            }
            Expr::Has(skill) => {
                f.write_str("has ")?;
                write_string(f, skill)?;
            }
            Expr::Compare { subject, test } => {
                match subject {
                    Subject::Attribute(name) => f.write_str(name)?,
                    Subject::OperatorParty => f.write_str("operator.party")?,
                }
                match test {
                    Test::Eq(v) => {
                        f.write_str(" = ")?;
                        write_string(f, v)?;
                    }
                    Test::Ne(v) => {
                        f.write_str(" != ")?;
                        write_string(f, v)?;
                    }
                    Test::In(set) => {
                        f.write_str(" in [")?;
                        for (i, v) in set.iter().enumerate() {
                            if i > 0 {
                                f.write_str(", ")?;
                            }
                            write_string(f, v)?;
                        }
                        f.write_str("]")?;
                    }
                }
            }
        }
        if parens {
            f.write_str(")")?;
        }
        Ok(())
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// The canonical text: parsing it gives the same expression back.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 1)
    }
}

/// Serialized as its canonical text, so a stored configuration reads like the one written.
impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialized through [`Expr::parse`].
impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Expr::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Eq,
    Ne,
    Str(String),
    Word(String),
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::LParen => "`(`".into(),
            Token::RParen => "`)`".into(),
            Token::LBracket => "`[`".into(),
            Token::RBracket => "`]`".into(),
            Token::Comma => "`,`".into(),
            Token::Eq => "`=`".into(),
            Token::Ne => "`!=`".into(),
            Token::Str(s) => format!("the string {s:?}"),
            Token::Word(w) => format!("`{w}`"),
            Token::End => "the end of the expression".into(),
        }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self, Token::Word(w) if w == word)
    }
}

const KEYWORDS: [&str; 7] = ["and", "or", "not", "in", "has", "true", "false"];

fn bad(text: &str, offset: usize, reason: String) -> ContactError {
    let (line, column) = line_column(text, offset);
    ContactError::new("expression", "bad_expression", reason).at(line, column)
}

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ContactError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let token = match c {
            c if c.is_whitespace() => continue,
            '(' => Token::LParen,
            ')' => Token::RParen,
            '[' => Token::LBracket,
            ']' => Token::RBracket,
            ',' => Token::Comma,
            '=' => Token::Eq,
            '!' => match chars.next() {
                Some((_, '=')) => Token::Ne,
                _ => return Err(bad(text, at, "expected `!=`, found a lone `!` (negation is `not`)".into())),
            },
            '"' => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((escape_at, '\\')) => match chars.next() {
                            Some((_, e @ ('"' | '\\'))) => value.push(e),
                            _ => {
                                return Err(bad(
                                    text,
                                    escape_at,
                                    "expected `\\\"` or `\\\\` after a backslash in a string".into(),
                                ));
                            }
                        },
                        Some((_, other)) => value.push(other),
                        None => return Err(bad(text, at, "this string is not closed by `\"`".into())),
                    }
                }
                Token::Str(value)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = at + c.len_utf8();
                while let Some(&(i, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' || n == '.' {
                        end = i + n.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = text.get(at..end).unwrap_or_default();
                if word.contains('.') && word != "operator.party" {
                    return Err(bad(
                        text,
                        at,
                        format!(
                            "`{word}` is not a name: names are letters, digits and `_`, and the one dotted \
                             name is `operator.party`"
                        ),
                    ));
                }
                Token::Word(word.to_owned())
            }
            other => {
                return Err(bad(
                    text,
                    at,
                    format!(
                        "expected a name, a string, `(`, `)`, `[`, `]`, `,`, `=` or `!=`, found {other:?}"
                    ),
                ));
            }
        };
        tokens.push((token, at));
    }
    tokens.push((Token::End, text.len()));
    Ok(tokens)
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<(Token, usize)>,
    next: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens.get(self.next).map_or(&Token::End, |(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.next).map_or(self.text.len(), |(_, at)| *at)
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if self.next < self.tokens.len() {
            self.next += 1;
        }
        token
    }

    fn expected(&self, what: &str) -> ContactError {
        bad(self.text, self.offset(), format!("expected {what}, found {}", self.peek().describe()))
    }

    fn deeper(&mut self) -> Result<(), ContactError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(bad(
                self.text,
                self.offset(),
                format!("the expression nests more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ContactError> {
        let mut left = self.and()?;
        while self.peek().is_word("or") {
            self.bump();
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ContactError> {
        let mut left = self.unary()?;
        while self.peek().is_word("and") {
            self.bump();
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ContactError> {
        if self.peek().is_word("not") {
            self.bump();
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn string(&mut self, what: &str) -> Result<String, ContactError> {
        match self.peek() {
            Token::Str(_) => match self.bump() {
                Token::Str(s) => Ok(s),
                _ => Err(self.expected(what)),
            },
            _ => Err(self.expected(what)),
        }
    }

    fn primary(&mut self) -> Result<Expr, ContactError> {
        const AN_EXPRESSION: &str =
            "an expression (`(`, `not`, `true`, `false`, `has \"skill\"` or a name compared to a string)";
        match self.peek().clone() {
            Token::LParen => {
                self.bump();
                self.deeper()?;
                let inner = self.or()?;
                self.depth -= 1;
                if *self.peek() != Token::RParen {
                    return Err(self.expected("`)`, `and` or `or`"));
                }
                self.bump();
                Ok(inner)
            }
            Token::Word(w) if w == "true" => {
                self.bump();
                Ok(Expr::True)
            }
            Token::Word(w) if w == "false" => {
                self.bump();
                Ok(Expr::False)
            }
            Token::Word(w) if w == "has" => {
                self.bump();
                Ok(Expr::Has(self.string("a skill in quotes after `has`")?))
            }
            Token::Word(w) if !KEYWORDS.contains(&w.as_str()) => {
                self.bump();
                let subject =
                    if w == "operator.party" { Subject::OperatorParty } else { Subject::Attribute(w) };
                let test = match self.peek() {
                    Token::Eq => {
                        self.bump();
                        Test::Eq(self.string("a string in quotes after `=`")?)
                    }
                    Token::Ne => {
                        self.bump();
                        Test::Ne(self.string("a string in quotes after `!=`")?)
                    }
                    t if t.is_word("in") => {
                        self.bump();
                        Test::In(self.list()?)
                    }
                    _ => return Err(self.expected("`=`, `!=` or `in` after a name")),
                };
                Ok(Expr::Compare { subject, test })
            }
            _ => Err(self.expected(AN_EXPRESSION)),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, ContactError> {
        if *self.peek() != Token::LBracket {
            return Err(self.expected("`[` after `in`"));
        }
        self.bump();
        let mut values = Vec::new();
        if *self.peek() == Token::RBracket {
            self.bump();
            return Ok(values);
        }
        loop {
            values.push(self.string("a string in quotes in the list")?);
            match self.peek() {
                Token::Comma => {
                    self.bump();
                }
                Token::RBracket => {
                    self.bump();
                    return Ok(values);
                }
                _ => return Err(self.expected("`,` or `]` in the list")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn precedence_and_round_trip() {
        let e = Expr::parse("a = \"1\" or b = \"2\" and not c in [\"x\", \"y\"]").expect("parses");
        assert!(matches!(e, Expr::Or(..)));
        assert_eq!(e.to_string(), "a = \"1\" or b = \"2\" and not c in [\"x\", \"y\"]");
        let nested = Expr::parse("a = \"1\" and (b = \"2\" or c = \"3\")").expect("parses");
        assert_eq!(Expr::parse(&nested.to_string()), Ok(nested));
    }

    #[test]
    fn a_missing_attribute_compares_unequal() {
        let none = attrs(&[]);
        assert!(!Expr::parse("language = \"fr\"").expect("p").eval(&none, None));
        assert!(Expr::parse("language != \"fr\"").expect("p").eval(&none, None));
        assert!(!Expr::parse("language in [\"fr\"]").expect("p").eval(&none, None));
        assert!(!Expr::parse("has \"x\"").expect("p").eval(&none, None));
    }

    #[test]
    fn serde_uses_the_canonical_text() {
        let e = Expr::parse("not (a = \"1\" or has \"x\")").expect("parses");
        let json = serde_json::to_string(&e).expect("json");
        assert_eq!(json, r#""not (a = \"1\" or has \"x\")""#);
        assert_eq!(serde_json::from_str::<Expr>(&json).expect("back"), e);
        assert!(serde_json::from_str::<Expr>("\"a =\"").is_err());
    }

    #[test]
    fn errors_name_what_was_expected_where() {
        let e = Expr::parse("language = \"fr\" and\n  ivr = ").expect_err("incomplete");
        assert_eq!((e.code, e.position), ("bad_expression", Some((2, 9))));
        assert!(e.reason.contains("expected a string"), "{e}");
        let e = Expr::parse("language == \"fr\"").expect_err("double equals");
        assert_eq!(e.position, Some((1, 11)));
        let deep = format!("{}true{}", "(".repeat(100), ")".repeat(100));
        assert!(Expr::parse(&deep).expect_err("too deep").reason.contains("nests"));
    }
}
