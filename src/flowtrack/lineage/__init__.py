"""Links between domains that must not import each other: a flow run and its tracked run."""
