"""The workers' room: Celery tasks that run normalised jobs (jobs.job_request) through the model.

Tasks stay thin (tasks), the work is in runner and batch_runner, response shapes in results, and the
process's model and heartbeat in model_holder. No HTTP and no parsing of clients' bodies: the API did it.
"""
