//! Tenants and who may act for them: signup, the tenant row, users, login
//! tokens and API keys. Lookups by credential run outside any tenant (the
//! tenant is what they find out).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;
use wabot_actors::StoreError;
use wabot_plugins::BotSettings;

use super::database::Tx;
use super::models::{
    ApiKey, NewApiKey, NewSignup, NewTenant, Principal, Role, Tenant, User, UserCredentials,
};
use super::sql::backend;
use super::sql_store::SqlStore;
use crate::secret_box::Purpose;

/// Tenants, accounts and credentials.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the tenant, its owner, the owner's first API key and the
    /// signup's audit entry in one transaction.
    async fn sign_up(&self, new: &NewSignup) -> Result<(Tenant, User), StoreError>;
    /// Creates a tenant (the operator's way, on an existing instance).
    async fn create_tenant(&self, new: &NewTenant) -> Result<Tenant, StoreError>;
    /// One tenant.
    async fn get_tenant(&self, tenant_id: Uuid) -> Result<Tenant, StoreError>;
    /// The user with this (lower-cased) email and its password hash.
    async fn credentials(&self, email: &str) -> Result<Option<UserCredentials>, StoreError>;
    /// Stores a login token's digest for `user` until `expires_at`.
    async fn create_login_token(
        &self,
        user: &User,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Ends a login; false if there was none.
    async fn delete_login_token(&self, token_hash: &str) -> Result<bool, StoreError>;
    /// Who holds the API key or unexpired login token with this digest.
    async fn authenticate(&self, token_hash: &str) -> Result<Option<Principal>, StoreError>;
    /// Stores a new API key of `tenant_id`.
    async fn create_api_key(&self, tenant_id: Uuid, key: &NewApiKey) -> Result<ApiKey, StoreError>;
    /// The tenant's API keys, revoked ones included, oldest first.
    async fn list_api_keys(&self, tenant_id: Uuid) -> Result<Vec<ApiKey>, StoreError>;
    /// Revokes one of the tenant's keys (idempotent; 404 for another tenant's).
    async fn revoke_api_key(&self, tenant_id: Uuid, key_id: Uuid) -> Result<ApiKey, StoreError>;
    /// Adds a user to the tenant (409 if the email is taken).
    async fn create_user(
        &self,
        tenant_id: Uuid,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError>;
    /// The tenant's users, oldest first.
    async fn list_users(&self, tenant_id: Uuid) -> Result<Vec<User>, StoreError>;
    /// Removes a user and their logins (409 for the last owner; 404 for
    /// another tenant's user).
    async fn delete_user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<User, StoreError>;
}

/// A `tenants` row as the API reads it.
#[derive(sqlx::FromRow)]
pub(super) struct TenantRow {
    id: Uuid,
    business_name: String,
    phone_number: String,
    whatsapp_session_id: String,
    waha_instance_id: Option<Uuid>,
    session_status: String,
    plugin_type: String,
    status: String,
    subscription_tier: String,
    overage_allowed: bool,
    settings: Json<BotSettings>,
    created_at: DateTime<Utc>,
}

impl TenantRow {
    /// The tenant record.
    pub(super) fn into_tenant(self) -> Result<Tenant, StoreError> {
        Ok(Tenant {
            id: self.id,
            business_name: self.business_name,
            phone_number: self.phone_number,
            session_name: self.whatsapp_session_id,
            waha_instance_id: self.waha_instance_id,
            session_status: self.session_status,
            plugin_type: self.plugin_type.parse().map_err(backend)?,
            status: self.status,
            subscription_tier: self.subscription_tier,
            overage_allowed: self.overage_allowed,
            settings: self.settings.0,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    role: String,
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            id: self.id,
            tenant_id: self.tenant_id,
            email: self.email,
            role: stored_role(&self.role)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: Uuid,
    name: String,
    prefix: String,
    role: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRow {
    fn into_api_key(self) -> Result<ApiKey, StoreError> {
        Ok(ApiKey {
            id: self.id,
            name: self.name,
            prefix: self.prefix,
            role: stored_role(&self.role)?,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// Who a credential digest belongs to: an API key's or a login's holder.
#[derive(sqlx::FromRow)]
struct HolderRow {
    tenant_id: Uuid,
    id: Uuid,
    role: String,
    /// The key's prefix or the user's email.
    label: String,
}

fn stored_role(role: &str) -> Result<Role, StoreError> {
    Role::parse(role).ok_or_else(|| backend(format!("unknown role {role}")))
}

async fn insert_tenant(
    tx: &mut Tx,
    store: &SqlStore,
    new: &NewTenant,
    status: &str,
) -> Result<Tenant, StoreError> {
    tx.sql(
        "INSERT INTO tenants (id, business_name, phone_number, whatsapp_session_id,
             waha_instance_id, webhook_secret, plugin_type, status, settings, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING id, business_name, phone_number, whatsapp_session_id, waha_instance_id,
             session_status, plugin_type, status, subscription_tier, overage_allowed,
             settings, created_at",
    )
    .about("tenant")
    .bind(Uuid::now_v7())
    .bind(&new.business_name)
    .bind(&new.phone_number)
    .bind(&new.session_name)
    .bind(new.waha_instance_id)
    .bind(
        store
            .secrets
            .seal(&new.webhook_secret, Purpose::WebhookSecret),
    )
    .bind(new.plugin.as_str())
    .bind(status)
    .bind(Json(&new.settings))
    .bind(Utc::now())
    .fetch_one_as::<TenantRow>(&mut *tx)
    .await?
    .into_tenant()
}

/// One tenant, read inside `tx`.
pub(super) async fn tenant_in(tx: &mut Tx, tenant_id: Uuid) -> Result<Tenant, StoreError> {
    tx.sql(
        "SELECT id, business_name, phone_number, whatsapp_session_id, waha_instance_id,
             session_status, plugin_type, status, subscription_tier, overage_allowed,
             settings, created_at
         FROM tenants WHERE id = $1",
    )
    .about("tenant")
    .bind(tenant_id)
    .fetch_one_as::<TenantRow>(&mut *tx)
    .await?
    .into_tenant()
}

async fn insert_api_key(
    tx: &mut Tx,
    tenant_id: Uuid,
    key: &NewApiKey,
) -> Result<ApiKey, StoreError> {
    tx.sql(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, name, prefix, role, created_at, revoked_at",
    )
    .about("API key")
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(&key.name)
    .bind(&key.prefix)
    .bind(&key.key_hash)
    .bind(key.role.as_str())
    .bind(Utc::now())
    .fetch_one_as::<ApiKeyRow>(&mut *tx)
    .await?
    .into_api_key()
}

async fn insert_user(
    tx: &mut Tx,
    tenant_id: Uuid,
    email: &str,
    password_hash: &str,
    role: Role,
) -> Result<User, StoreError> {
    tx.sql(
        "INSERT INTO users (id, tenant_id, email, password_hash, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, tenant_id, email, role",
    )
    .about("user")
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(email)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(Utc::now())
    .fetch_one_as::<UserRow>(&mut *tx)
    .await?
    .into_user()
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn sign_up(&self, new: &NewSignup) -> Result<(Tenant, User), StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let tenant = insert_tenant(&mut tx, self, &new.tenant, "trial").await?;
        let user = insert_user(
            &mut tx,
            tenant.id,
            &new.email,
            &new.password_hash,
            Role::Owner,
        )
        .await?;
        insert_api_key(&mut tx, tenant.id, &new.api_key).await?;
        // Audited in the same transaction: the owner's only copy of the key
        // is in this answer, so nothing may fail after commit.
        let audit = serde_json::json!({
            "email": user.email, "business_name": tenant.business_name,
        });
        tx.sql(
            "INSERT INTO audit_log (tenant_id, actor, action, target, after, created_at)
             VALUES ($1, $2, 'tenant.sign_up', $3, $4, $5)",
        )
        .bind(tenant.id)
        .bind(format!("user:{}", user.email))
        .bind(tenant.id.to_string())
        .bind(Json(audit))
        .bind(Utc::now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok((tenant, user))
    }

    async fn create_tenant(&self, new: &NewTenant) -> Result<Tenant, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let tenant = insert_tenant(&mut tx, self, new, "active").await?;
        tx.commit().await?;
        Ok(tenant)
    }

    async fn get_tenant(&self, tenant_id: Uuid) -> Result<Tenant, StoreError> {
        let mut tx = self.db.read_tx(tenant_id).await?;
        let tenant = tenant_in(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok(tenant)
    }

    async fn credentials(&self, email: &str) -> Result<Option<UserCredentials>, StoreError> {
        let found = self
            .db
            .sql("SELECT id, tenant_id, email, role, password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional_as::<CredentialsRow>(&self.db)
            .await?;
        found
            .map(|row| {
                Ok(UserCredentials {
                    user: row.user.into_user()?,
                    password_hash: row.password_hash,
                })
            })
            .transpose()
    }

    async fn create_login_token(
        &self,
        user: &User,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.platform_tx().await?;
        tx.sql(
            "INSERT INTO login_tokens (token_hash, user_id, tenant_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.id)
        .bind(user.tenant_id)
        .bind(Utc::now())
        .bind(expires_at)
        .execute(&mut tx)
        .await?;
        // Expired tokens of anyone are dropped on the way.
        tx.sql("DELETE FROM login_tokens WHERE expires_at <= $1")
            .bind(Utc::now())
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    async fn delete_login_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let deleted = tx
            .sql("DELETE FROM login_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }

    async fn authenticate(&self, token_hash: &str) -> Result<Option<Principal>, StoreError> {
        let key = self
            .db
            .sql(
                "SELECT tenant_id, id, role, prefix AS label FROM api_keys
                 WHERE key_hash = $1 AND revoked_at IS NULL",
            )
            .bind(token_hash)
            .fetch_optional_as::<HolderRow>(&self.db)
            .await?;
        let (holder, actor, credential) = match key {
            Some(key) => {
                let (actor, credential) = (
                    format!("api_key:{}", key.label),
                    format!("api_key:{}", key.id),
                );
                (key, actor, credential)
            }
            None => {
                let login = self
                    .db
                    .sql(
                        "SELECT t.tenant_id, u.id, u.role, u.email AS label FROM login_tokens t
                         JOIN users u ON u.id = t.user_id
                         WHERE t.token_hash = $1 AND t.expires_at > $2",
                    )
                    .bind(token_hash)
                    .bind(Utc::now())
                    .fetch_optional_as::<HolderRow>(&self.db)
                    .await?;
                let Some(user) = login else { return Ok(None) };
                let (actor, credential) =
                    (format!("user:{}", user.label), format!("user:{}", user.id));
                (user, actor, credential)
            }
        };
        Ok(Some(Principal {
            tenant_id: holder.tenant_id,
            role: stored_role(&holder.role)?,
            actor,
            credential,
        }))
    }

    async fn create_api_key(&self, tenant_id: Uuid, key: &NewApiKey) -> Result<ApiKey, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let key = insert_api_key(&mut tx, tenant_id, key).await?;
        tx.commit().await?;
        Ok(key)
    }

    async fn list_api_keys(&self, tenant_id: Uuid) -> Result<Vec<ApiKey>, StoreError> {
        self.db
            .sql(
                "SELECT id, name, prefix, role, created_at, revoked_at FROM api_keys
                 WHERE tenant_id = $1 ORDER BY created_at, id",
            )
            .bind(tenant_id)
            .fetch_all_as::<ApiKeyRow>(&self.db)
            .await?
            .into_iter()
            .map(ApiKeyRow::into_api_key)
            .collect()
    }

    async fn revoke_api_key(&self, tenant_id: Uuid, key_id: Uuid) -> Result<ApiKey, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let key = tx
            .sql(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3)
                 WHERE tenant_id = $1 AND id = $2
                 RETURNING id, name, prefix, role, created_at, revoked_at",
            )
            .about("API key")
            .bind(tenant_id)
            .bind(key_id)
            .bind(Utc::now())
            .fetch_one_as::<ApiKeyRow>(&mut tx)
            .await?;
        tx.commit().await?;
        key.into_api_key()
    }

    async fn create_user(
        &self,
        tenant_id: Uuid,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let user = insert_user(&mut tx, tenant_id, email, password_hash, role).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn list_users(&self, tenant_id: Uuid) -> Result<Vec<User>, StoreError> {
        self.db
            .sql(
                "SELECT id, tenant_id, email, role FROM users
                 WHERE tenant_id = $1 ORDER BY created_at, id",
            )
            .bind(tenant_id)
            .fetch_all_as::<UserRow>(&self.db)
            .await?
            .into_iter()
            .map(UserRow::into_user)
            .collect()
    }

    async fn delete_user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<User, StoreError> {
        let mut tx = self.db.platform_tx().await?;
        let user = tx
            .sql(
                "DELETE FROM users WHERE tenant_id = $1 AND id = $2
                 RETURNING id, tenant_id, email, role",
            )
            .about("user")
            .bind(tenant_id)
            .bind(user_id)
            .fetch_one_as::<UserRow>(&mut tx)
            .await?;
        let owners: i64 = tx
            .sql("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'owner'")
            .bind(tenant_id)
            .fetch_scalar(&mut tx)
            .await?;
        if owners == 0 {
            return Err(StoreError::Conflict(
                "a tenant keeps at least one owner".to_owned(),
            ));
        }
        tx.commit().await?;
        user.into_user()
    }
}
