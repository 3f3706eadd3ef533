// The helpers every integration test uses: the API host, HTTP and database helpers, fixtures.
global using Metrics.Api.IntegrationTests.Support;
