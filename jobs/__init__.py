"""The job core that the API and the workers share: job records, heartbeats and worker metrics in Redis.

Neither side imports the other; both import this. Nothing here connects to Redis at import.
"""
