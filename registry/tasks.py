"""Celery tasks of the registry: thin wrappers around services (SPEC §3, §11)."""

from celery import shared_task

from creditsys import context

from . import services


@shared_task(name="registry.tasks.penalty_publication_sweep")
def penalty_publication_sweep() -> int:
    with context.acting(actor="beat", channel="task"):
        return services.penalty_publication_sweep()


@shared_task(name="registry.tasks.commitment_sweep")
def commitment_sweep() -> int:
    with context.acting(actor="beat", channel="task"):
        return services.commitment_sweep()


@shared_task(name="registry.tasks.import_run", acks_late=True)
def import_run(job_id: int) -> dict:
    # The service sets the importing user as the actor; progress is stored on the ImportJob row.
    with context.acting(actor="worker", channel="task"):
        job = services.import_job_run(job_id=job_id)
    return {"job": job.pk, "status": job.status, "rejected": job.rejected_count}


@shared_task(name="registry.tasks.import_jobs_requeue")
def import_jobs_requeue() -> list[int]:
    with context.acting(actor="beat", channel="task"):
        return services.import_jobs_requeue()
