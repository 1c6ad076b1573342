//! Logging: JSON lines on Lambda (CloudWatch), compact text on a terminal. The filter comes
//! from `ATELIER_LOG` (default `info`).

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter `ATELIER_LOG` names (`info`, `atelier_core=debug,warn`…): targets and levels,
/// without the regular expressions of an `EnvFilter`, which no Lambda needs to link.
fn filter() -> Targets {
    std::env::var("ATELIER_LOG")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

pub fn init() {
    let on_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    // Everything reaches the filter, which alone decides (the builder would stop at info).
    let builder = tracing_subscriber::fmt().with_max_level(LevelFilter::TRACE);
    // Ignore a second init (tests): the first subscriber stays.
    let _ = if on_lambda {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .without_time()
            .finish()
            .with(filter())
            .try_init()
    } else {
        builder.compact().finish().with(filter()).try_init()
    };
}
