// Runs before every test file. This workplace sets NODE_EXTRA_CA_CERTS, which makes every node
// process the tests spawn spend about 80 ms loading certificates it never uses (the tests make no
// network call beyond loopback). The CLI, cdk8s and bench children start without it.
delete process.env.NODE_EXTRA_CA_CERTS;
