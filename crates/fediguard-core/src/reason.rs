//! Reason codes of decisions: what `$fediguard_reason` holds and what the
//! deny line starts with. Admins grep and alert on these; keep them stable.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The agent's class is denied in this location.
    AgentDenied,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AgentDenied => "agent-denied",
        }
    }
}
