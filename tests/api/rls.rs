//! PostgreSQL row-level security: a transaction scoped to tenant A sees and
//! changes none of tenant B's rows, whatever its SQL says.

use rust_decimal::Decimal;
use sqlx::Row;
use uuid::Uuid;
use wabot::secret_box::SecretBox;
use wabot::storage::SqlStore;
use wabot::storage::models::{NewTenant, NewWahaInstance};
use wabot::storage::{AccountStore, FleetStore, OrderBook};
use wabot_actors::{ConversationStore, OrderStore, Step};
use wabot_plugins::{BotSettings, OrderDraft, OrderLine, Plugin, PluginKind, ShopBot};

use crate::harness::{Backend, fresh_database};

/// The store of `url` (migrated by whoever `url` logs in as) with one WAHA
/// instance registered.
async fn store_with_instance(url: &str) -> (SqlStore, Uuid) {
    let store = SqlStore::open(url, std::sync::Arc::new(SecretBox::ephemeral()))
        .await
        .expect("open and migrate the database");
    let instance = store
        .create_waha_instance(&NewWahaInstance {
            name: "w".into(),
            base_url: "http://w:3000".into(),
            api_key: "k".into(),
            capacity: 10,
        })
        .await
        .unwrap();
    (store, instance.id)
}

async fn tenant(store: &SqlStore, instance: Uuid, n: u8) -> Uuid {
    let tenant = store
        .create_tenant(&NewTenant {
            business_name: format!("Shop {n}"),
            phone_number: format!("1555000000{n}"),
            plugin: PluginKind::Restaurant,
            session_name: format!("shop-{n}"),
            webhook_secret: "a-long-enough-secret-123".into(),
            waha_instance_id: Some(instance),
            settings: BotSettings::default(),
        })
        .await
        .unwrap();
    let draft = OrderDraft {
        lines: vec![OrderLine {
            item_id: "x".into(),
            name: "X".into(),
            unit_price: Decimal::ONE,
            quantity: 1,
        }],
        total: Decimal::ONE,
        prescription: None,
        delivery_address: "Somewhere 1".into(),
    };
    store
        .place_order(tenant.id, "15551234567@c.us", &draft, "checkout-1")
        .await
        .unwrap();
    store
        .record_step(&Step {
            tenant_id: tenant.id,
            customer: "15551234567@c.us".into(),
            session: "shop".into(),
            state: Some(ShopBot::RESTAURANT.initial_state()),
            processed_inbox_id: None,
            outbox: Vec::new(),
            charge: None,
        })
        .await
        .unwrap();
    tenant.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_scoped_to_one_tenant_reads_and_writes_none_of_anothers_rows() {
    let url = fresh_database(Backend::Postgres).await;
    let (store, instance) = store_with_instance(&url).await;
    let a = tenant(&store, instance, 1).await;
    let b = tenant(&store, instance, 2).await;

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
           AND a.attname = 'tenant_id' AND NOT c.relrowsecurity
           AND has_table_privilege('wabot_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        unprotected,
        Vec::<String>::new(),
        "every table of tenant rows the tenant role can reach has row-level security \
         (credentials are read by the owning role only)"
    );
    pool.close().await;

    let mut tx = store.postgres_tenant_transaction(a).await.unwrap();
    for table in ["tenants", "orders", "conversations"] {
        let all: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!(all, 1, "{table}: only tenant A's row is visible");
    }
    let column = |table: &str| {
        if table == "tenants" {
            "id"
        } else {
            "tenant_id"
        }
    };
    for table in ["tenants", "orders", "conversations"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE {} = $1", column(table));
        let of_b: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(b)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(of_b, 0, "{table}: asking for B by id finds nothing");
    }
    let updated = sqlx::query("UPDATE orders SET status = 'cancelled' WHERE tenant_id = $1")
        .bind(b)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 0, "B's orders cannot be changed");
    let insert = sqlx::query(
        "INSERT INTO menu_items (id, tenant_id, item_id, name, price, category, position) VALUES ($1, $2, 'x', 'X', 1, 'C', 0)",
    )
    .bind(Uuid::new_v4())
    .bind(b)
    .execute(&mut *tx)
    .await;
    assert!(insert.is_err(), "rows cannot be written for B");
    drop(tx);

    let mut tx = store.postgres_tenant_transaction(a).await.unwrap();
    let who = sqlx::query("SELECT current_user AS role")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        who.get::<String, _>("role"),
        "wabot_app",
        "tenant work runs as the non-owner role"
    );
    drop(tx);

    let orders_of_b = store.list_orders(b).await.unwrap();
    assert_eq!(orders_of_b.len(), 1, "B's own scope still sees its order");
    assert!(
        store
            .list_orders(a)
            .await
            .unwrap()
            .iter()
            .all(|o| o.id != orders_of_b[0].id)
    );
}

/// Row-level security binds the owning role too (FORCE): a session of the
/// owner that has not opted in sees no tenant's rows. And tenant work may
/// not change a tenant's tier, status or name. The owner here is an
/// ordinary role, as in production: superusers bypass row-level security.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_sees_tenant_rows_only_when_it_opts_in_and_tenants_cannot_raise_their_tier() {
    use sqlx::Connection;
    let admin_url = crate::harness::postgres_admin_url();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let suffix = Uuid::new_v4().simple().to_string();
    let (owner, database) = (
        format!("wabot_owner_{suffix}"),
        format!("wabot_test_{suffix}"),
    );
    for sql in [
        format!("CREATE ROLE {owner} LOGIN CREATEROLE"),
        // Membership lets a non-superuser admin give the database away.
        format!("GRANT {owner} TO CURRENT_USER"),
        format!("CREATE DATABASE {database} OWNER {owner}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let (scheme, rest) = base.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let url = format!("{scheme}://{owner}@{host}/{database}");

    let (store, instance) = store_with_instance(&url).await;
    let a = tenant(&store, instance, 1).await;
    assert_eq!(
        store.list_orders(a).await.unwrap().len(),
        1,
        "platform work sees rows"
    );

    let mut console = sqlx::PgConnection::connect(&url).await.unwrap();
    for table in ["tenants", "orders", "conversations", "inbox"] {
        let seen: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut console)
                .await
                .unwrap();
        assert_eq!(seen, 0, "{table}: the owner sees nothing without opting in");
    }
    sqlx::query("SET app.platform = 'on'")
        .execute(&mut console)
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&mut console)
        .await
        .unwrap();
    assert_eq!(seen, 1, "and everything once it opts in");
    console.close().await.unwrap();

    let mut tx = store.postgres_tenant_transaction(a).await.unwrap();
    let raised = sqlx::query("UPDATE tenants SET subscription_tier = 'enterprise' WHERE id = $1")
        .bind(a)
        .execute(&mut *tx)
        .await;
    assert!(raised.is_err(), "tenant work cannot change its own tier");
    drop(tx);
    let mut tx = store.postgres_tenant_transaction(a).await.unwrap();
    let settings = sqlx::query("UPDATE tenants SET settings = settings WHERE id = $1")
        .bind(a)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(settings.rows_affected(), 1, "but may change its settings");
    drop(tx);
    drop(store);
}
