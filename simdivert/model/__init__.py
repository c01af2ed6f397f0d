"""One replication: from (scenario, seed, replication) to columnar logs and KPIs."""
