# terraform plan -var-file=prod.tfvars
queues     = ["orders", "refunds", "returns"]
public_url = true
alerts     = true
