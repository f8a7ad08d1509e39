using './main.bicep'

param environmentName = 'production'
param appName = 'mastermcp'
param instanceMemoryMB = 2048
param maximumInstanceCount = 100
// Client authentication (required outside Development). The deploy workflow passes these from the GitHub
// environment's variables; secrets stay in Key Vault under the template's default secret names.
param authMode = readEnvironmentVariable('AUTH_MODE', 'jwt')
param baseUrl = readEnvironmentVariable('AZURE_BASE_URL', '')
param authJwtIssuer = readEnvironmentVariable('AUTH_JWT_ISSUER', '')
param authJwtAudience = readEnvironmentVariable('AUTH_JWT_AUDIENCE', '')
param authBrowserLoginClientId = readEnvironmentVariable('AUTH_BROWSER_LOGIN_CLIENT_ID', '')
param authUpstreamPreset = readEnvironmentVariable('AUTH_UPSTREAM_PRESET', 'oidc')
param authUpstreamIssuer = readEnvironmentVariable('AUTH_UPSTREAM_ISSUER', '')
param authUpstreamClientId = readEnvironmentVariable('AUTH_UPSTREAM_CLIENT_ID', '')
param logLevel = 'Information'
param logRetentionDays = 90
param appVersion = readEnvironmentVariable('APP_VERSION', 'dev')
param deployerPrincipalId = readEnvironmentVariable('DEPLOYER_PRINCIPAL_ID', '')
// Redis backplane (required: Flex Consumption runs several instances); replicated.
param redisSkuName = 'Balanced_B1'
param redisHighAvailability = true
