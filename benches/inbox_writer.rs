//! Inbox write throughput: rows per second stored through
//! `InboxStore::append`, in batches of 256 (the group commit of the inbox
//! writer) against the baseline of one transaction per message, measured in
//! the same run, on SQLite and on PostgreSQL.
//!
//! PostgreSQL is taken from `BENCH_POSTGRES_URL` (an admin URL; default
//! `postgres://postgres@127.0.0.1:5432/postgres`): a fresh database is made
//! for the run. Without a reachable server only SQLite is measured.
//!
//! Run: `cargo bench --bench inbox_writer`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sqlx::Connection;
use uuid::Uuid;
use wabot::storage::models::{NewTenant, NewWahaInstance};
use wabot::storage::{self, Store};
use wabot_actors::NewInboxEvent;
use wabot_plugins::{BotSettings, PluginKind};

const BATCH: usize = 256;

async fn store_with_tenant(url: &str) -> (Arc<dyn Store>, Uuid) {
    let store = storage::open(
        url,
        std::sync::Arc::new(wabot::secret_box::SecretBox::ephemeral()),
    )
    .await
    .expect("open the store");
    let instance = store
        .create_waha_instance(&NewWahaInstance {
            name: "bench".into(),
            base_url: "http://w:3000".into(),
            api_key: "k".into(),
            capacity: 10,
        })
        .await
        .expect("instance");
    let tenant = store
        .create_tenant(&NewTenant {
            business_name: "Bench".into(),
            phone_number: "15550009999".into(),
            plugin: PluginKind::Restaurant,
            session_name: "bench".into(),
            webhook_secret: "bench-secret-0123456789".into(),
            waha_instance_id: Some(instance.id),
            settings: BotSettings::default(),
        })
        .await
        .expect("tenant");
    (store, tenant.id)
}

async fn fresh_postgres() -> Option<String> {
    let admin = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut connection = sqlx::PgConnection::connect(&admin).await.ok()?;
    let name = format!("wabot_bench_{}", Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await
        .ok()?;
    Some(format!("{}/{name}", admin.rsplit_once('/')?.0))
}

fn events(tenant_id: Uuid, counter: &AtomicU64, count: usize) -> Vec<NewInboxEvent> {
    (0..count)
        .map(|_| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            NewInboxEvent {
                tenant_id,
                session: "bench".into(),
                message_id: format!("false_15551234567@c.us_3EB0{n:018X}"),
                customer: format!("1555{:07}@c.us", n % 1000),
                text: "2x 3".into(),
                media: None,
            }
        })
        .collect()
}

fn inbox_writes(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let sqlite = format!(
        "sqlite://{}",
        std::env::temp_dir()
            .join(format!("wabot-bench-{}.db", Uuid::new_v4().simple()))
            .display()
    );
    let mut backends = vec![("sqlite", sqlite)];
    match runtime.block_on(fresh_postgres()) {
        Some(url) => backends.push(("postgres", url)),
        None => eprintln!("PostgreSQL not reachable (BENCH_POSTGRES_URL): measuring SQLite only"),
    }
    let counter = AtomicU64::new(0);
    let mut group = c.benchmark_group("inbox_append");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (backend, url) in backends {
        let (store, tenant) = runtime.block_on(store_with_tenant(&url));
        group.bench_function(
            BenchmarkId::new("baseline: one transaction per message", backend),
            |b| {
                b.to_async(&runtime).iter(|| async {
                    for event in events(tenant, &counter, BATCH) {
                        store
                            .append(std::slice::from_ref(&event))
                            .await
                            .expect("append");
                    }
                })
            },
        );
        group.bench_function(BenchmarkId::new("group commit of 256", backend), |b| {
            b.to_async(&runtime).iter(|| async {
                store
                    .append(&events(tenant, &counter, BATCH))
                    .await
                    .expect("append");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, inbox_writes);
criterion_main!(benches);
