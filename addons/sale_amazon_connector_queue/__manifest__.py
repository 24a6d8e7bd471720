{
    "name": "Amazon Connector on queue_job",
    "version": "18.0.1.0.0",
    "summary": "Runs the Amazon connector's work as queue_job jobs: per account and unit, "
    "on a channel per kind, retried alone, spread over every Odoo server",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "depends": ["sale_amazon_connector", "queue_job"],
    "data": ["data/queue_job_data.xml"],
    "installable": True,
}
