"""Outside systems capplan may call, and only those its operator configured: Prometheus (histories),
webhooks and Alertmanager (notifications). Requests name a target; they never carry a URL or a secret."""
