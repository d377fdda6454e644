//! PostgreSQL connection setup. Tenant work runs in [`tenant_transaction`]:
//! the role switches to the non-owner `wabot_app` and `app.tenant_id` is set
//! for that transaction only, so row-level security confines every statement
//! to one tenant (the `WHERE tenant_id` in each query is a second guard).

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;
use wabot_actors::StoreError;

use super::sql::{backend, store_error};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connects and applies pending migrations.
pub(super) async fn connect(url: &str) -> Result<PgPool, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        // Row-level security is forced (migration 0010): this pool's
        // platform work opts in to every tenant's rows; tenant transactions
        // switch to wabot_app, which the opt-in never reaches.
        .after_connect(|connection, _| {
            Box::pin(async move {
                sqlx::query("SET app.platform = 'on'")
                    .execute(connection)
                    .await
                    .map(|_| ())
            })
        })
        .connect(url)
        .await
        .map_err(|e| backend(format!("cannot connect to PostgreSQL: {e}")))?;
    MIGRATOR.run(&pool).await.map_err(backend)?;
    Ok(pool)
}

/// A transaction confined to `tenant_id` by row-level security.
pub async fn tenant_transaction(
    pool: &PgPool,
    tenant_id: Uuid,
) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool.begin().await.map_err(backend)?;
    sqlx::query(
        "SELECT set_config('role', 'wabot_app', true), set_config('app.tenant_id', $1, true)",
    )
    .bind(tenant_id.to_string())
    .execute(&mut *tx)
    .await
    .map_err(|e| store_error(e, "tenant"))?;
    Ok(tx)
}
