//! Who may call: bearer tokens as the door sees them.

use jiff::Timestamp;
use store::NewToken;

use policy::{Action, Resource};

use crate::gate::Ask;
use crate::write::{CreateToken, RevokeToken};
use crate::{Actor, AppError, Cloison, Role};

impl Cloison {
    /// The actor a bearer secret stands for, if the token is valid now. The request id
    /// becomes the actor's session, so the journal groups what one request did.
    pub async fn authenticate(&self, secret: &str, request: &str) -> Result<Option<Actor>, AppError> {
        let Some(bearer) =
            self.store.authenticate(secret, Timestamp::now()).await.map_err(AppError::Internal)?
        else {
            return Ok(None);
        };
        Ok(actor_of(&bearer, request))
    }

    /// Creates a token for `party` in `role`, valid until `expires`; journaled as `actor`'s act.
    pub async fn create_token(
        &self,
        actor: &Actor,
        party: &str,
        role: Role,
        expires: Timestamp,
    ) -> Result<NewToken, AppError> {
        let ask = Ask::function(
            Action::ManageTokens,
            Resource::Installation,
            "admin.token.create",
            "access management",
        )
        .about(vec![party.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let command =
                CreateToken { template, token: NewToken::generate(expires), party: party.to_owned(), role };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }

    /// Revokes a token by its public id; journaled as `actor`'s act.
    pub async fn revoke_token(&self, actor: &Actor, token_id: &str) -> Result<(), AppError> {
        let ask = Ask::function(
            Action::ManageTokens,
            Resource::Installation,
            "admin.token.revoke",
            "access management",
        )
        .about(vec![token_id.to_owned()]);
        self.write(actor, vec![ask], |template| async move {
            let command = RevokeToken { template, token_id: token_id.to_owned() };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
    }
}

/// The actor a valid token stands for in request `request`; `None` for a token whose party
/// or role no longer parses, which grants nothing (fail closed).
pub(crate) fn actor_of(bearer: &store::Bearer, request: &str) -> Option<Actor> {
    let (Ok(party), Ok(role)) = (bearer.party.parse(), bearer.role.parse::<Role>()) else {
        return None;
    };
    Some(Actor { party, role, session: format!("{}/{request}", bearer.token_id) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_role_is_refused_with_the_roles_listed_plainly() {
        let e = "boss".parse::<Role>().expect_err("not a role").to_string();
        assert!(e.contains("role") && e.contains("\"boss\""), "{e}");
        assert!(e.contains("supplier, customer, third_party"), "{e}");
        assert!(!e.contains('['), "no Rust array syntax: {e}");
    }
}
