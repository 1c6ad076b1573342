//! Logging: JSON lines on Lambda (CloudWatch), compact text on a terminal. The filter comes
//! from `ATELIER_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("ATELIER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let on_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // Ignore a second init (tests): the first subscriber stays.
    let _ = if on_lambda {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .without_time()
            .try_init()
    } else {
        builder.compact().try_init()
    };
}
