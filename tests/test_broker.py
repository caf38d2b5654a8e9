"""BROKER_URL: Celery's queues on Redis (the default) or RabbitMQ, each with only its own options."""
from __future__ import annotations

import pytest

from capplan.config import ConfigError, load_settings
from jobs.queues import create_celery


def test_the_broker_is_redis_url_unless_broker_url_names_another():
    settings = load_settings(environ={"REDIS_URL": "redis://:pw@cache:6379/2"})
    assert settings.broker_url == "redis://:pw@cache:6379/2"
    amqp = load_settings(environ={"REDIS_URL": "redis://cache:6379/2", "BROKER_URL": "amqp://u:p@mq:5672/capplan"})
    assert amqp.broker_url == "amqp://u:p@mq:5672/capplan" and amqp.REDIS_URL == "redis://cache:6379/2"
    assert create_celery(amqp).conf.broker_url == "amqp://u:p@mq:5672/capplan"


def test_a_broker_url_of_another_kind_or_a_task_limit_rabbitmq_would_cut_is_refused():
    with pytest.raises(ConfigError, match="BROKER_URL"):
        load_settings(environ={"BROKER_URL": "sqs://queue"})
    with pytest.raises(ConfigError, match="consumer_timeout"):
        load_settings(environ={"BROKER_URL": "amqp://mq", "TASK_TIME_LIMIT": "1800"})
    assert load_settings(environ={"TASK_TIME_LIMIT": "1800"}).visibility_timeout == 3600   # Redis: no such cap


def test_redis_gets_its_visibility_timeout_and_rabbitmq_none_of_the_redis_options():
    redis_conf = create_celery(load_settings(environ={"TASK_TIME_LIMIT": "100"})).conf
    assert redis_conf.broker_transport_options["visibility_timeout"] == 200
    assert redis_conf.broker_transport_options["unacked_restore_interval"] == 5
    amqp_conf = create_celery(load_settings(environ={"BROKER_URL": "amqp://mq"})).conf
    assert amqp_conf.broker_transport_options == {"confirm_publish": True}
    assert amqp_conf.broker_heartbeat == 30 and amqp_conf.worker_cancel_long_running_tasks_on_connection_loss
    for conf in (redis_conf, amqp_conf):      # what makes a dead worker's task come back, on either broker
        assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
