// Master MCP Server on Azure Functions Flex Consumption.
// Deploy into an existing resource group:
//   az deployment group create -g <rg> --template-file infra/main.bicep --parameters infra/staging.bicepparam
targetScope = 'resourceGroup'

@description('Deployment environment: part of every resource name and the environment tag. Both environments run the gateway\'s Production configuration (MASTER_ENV is Production).')
@allowed([
  'staging'
  'production'
])
param environmentName string

@description('Short name shared by all resources (letters and digits).')
@minLength(3)
@maxLength(12)
param appName string = 'mastermcp'

@description('Azure region; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Memory per Flex Consumption instance in MB (512, 2048 or 4096).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound for Flex Consumption scale-out.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Key Vault secret that holds TOKEN_ENC_KEY (base64 32-byte key or key ring).')
param tokenEncKeySecretName string = 'token-enc-key'

@description('Key Vault secret that holds the Cloudflare origin secret; empty disables the origin check.')
param originSecretName string = 'origin-secret'

@description('Azure Managed Redis SKU of the scale-out backplane (scaleout.redis). Flex Consumption adds instances by itself, so Redis is always deployed: without it interactive MCP works on one instance only.')
@allowed([
  'Balanced_B0'
  'Balanced_B1'
  'Balanced_B3'
  'Balanced_B5'
])
param redisSkuName string = 'Balanced_B0'

@description('Replicate the Redis data across two nodes (Azure Managed Redis high availability); off halves the cost and suits staging.')
param redisHighAvailability bool = true

@description('Key Vault secret the template writes with the Redis connection string (host, port, access key, TLS); the app reads it as MASTER_REDIS=kv:<name>.')
param redisConnectionSecretName string = 'redis-connection'

@description('Client authentication (auth.mode): jwt accepts access tokens of an external authorization server, gateway runs the built-in one in front of an upstream identity provider. Outside Development the gateway refuses to start without one, so none is not offered.')
@allowed([
  'jwt'
  'gateway'
])
param authMode string = 'jwt'

@description('Public URL clients use (hosting.base_url): https scheme and host, no path. Empty means the function app\'s own https URL; set the Worker\'s URL when clients connect through Cloudflare (it becomes the token audience and the OAuth metadata URLs).')
param baseUrl string = ''

@description('jwt mode: issuer of the access tokens the gateway accepts (auth.jwt.issuer).')
param authJwtIssuer string = ''

@description('jwt mode: expected token audience (auth.jwt.audience); empty means the resource, i.e. the base URL + /mcp.')
param authJwtAudience string = ''

@description('jwt mode: OIDC client id for the gateway\'s browser pages (auth.browser_login.client_id); empty disables browser login.')
param authBrowserLoginClientId string = ''

@description('jwt mode: Key Vault secret holding auth.browser_login.client_secret (read only when authBrowserLoginClientId is set).')
param browserLoginClientSecretName string = 'browser-login-client-secret'

@description('gateway mode: upstream identity provider preset (auth.upstream.preset).')
@allowed([
  'oidc'
  'github'
])
param authUpstreamPreset string = 'oidc'

@description('gateway mode: issuer of the upstream identity provider (auth.upstream.issuer; required with preset oidc).')
param authUpstreamIssuer string = ''

@description('gateway mode: the gateway\'s client id at the upstream identity provider (auth.upstream.client_id).')
param authUpstreamClientId string = ''

@description('gateway mode: Key Vault secret holding auth.upstream.client_secret.')
param upstreamClientSecretName string = 'upstream-client-secret'

@description('gateway mode: Key Vault secret holding auth.signing_key, the PEM (RSA/EC) or private JWK that signs access tokens.')
param signingKeySecretName string = 'auth-signing-key'

@description('Log level of the gateway (MASTER_LOG_LEVEL).')
param logLevel string = 'Information'

@description('Version reported by the gateway (APP_VERSION); the deploy workflow passes the tag or commit.')
param appVersion string = 'dev'

@description('Principal (object) id of the deploying identity; when set it may manage Key Vault secrets.')
param deployerPrincipalId string = ''

@description('Extra app settings as { name, value } objects (for example MASTER__auth__* issuer settings); names must not repeat the defaults.')
param additionalAppSettings array = []

@description('Log retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Action group the alert rules notify (resource id); empty: alerts fire without notifying anyone.')
param alertActionGroupId string = ''

var suffix = uniqueString(resourceGroup().id, appName, environmentName)
var baseName = '${appName}-${environmentName}'
var tags = {
  application: 'master-mcp'
  environment: environmentName
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${baseName}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: 'log-${baseName}-${suffix}'
    appInsightsName: 'appi-${baseName}-${suffix}'
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

module dashboards 'modules/dashboards.bicep' = {
  name: 'dashboards'
  params: {
    appInsightsName: monitoring.outputs.appInsightsName
    location: location
    tags: tags
    actionGroupId: alertActionGroupId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('st${toLower(appName)}${substring(environmentName, 0, 4)}${suffix}', 24)
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: take('kv-${appName}-${substring(environmentName, 0, 4)}-${suffix}', 24)
    location: location
    tags: tags
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    name: 'redis-${baseName}-${suffix}'
    location: location
    tags: tags
    skuName: redisSkuName
    highAvailability: redisHighAvailability
    keyVaultName: keyVault.outputs.name
    connectionSecretName: redisConnectionSecretName
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    deployerPrincipalId: deployerPrincipalId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    planName: 'plan-${baseName}-${suffix}'
    appName: 'func-${baseName}-${suffix}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    tokenEncKeySecretName: tokenEncKeySecretName
    originSecretName: originSecretName
    // From the module's output, so the app is created after the secret it resolves at startup.
    redisConnectionSecretName: redis.outputs.connectionSecretName
    authMode: authMode
    baseUrl: baseUrl
    authJwtIssuer: authJwtIssuer
    authJwtAudience: authJwtAudience
    authBrowserLoginClientId: authBrowserLoginClientId
    browserLoginClientSecretName: browserLoginClientSecretName
    authUpstreamPreset: authUpstreamPreset
    authUpstreamIssuer: authUpstreamIssuer
    authUpstreamClientId: authUpstreamClientId
    upstreamClientSecretName: upstreamClientSecretName
    signingKeySecretName: signingKeySecretName
    logLevel: logLevel
    appVersion: appVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    additionalAppSettings: additionalAppSettings
  }
  // The app resolves Key Vault references and opens storage at start: give it its roles first.
  dependsOn: [
    roles
  ]
}

@description('Public URL of the function app (smoke tests and the Cloudflare Worker\'s ORIGIN_URL).')
output functionAppUrl string = functionApp.outputs.url

@description('Name of the function app (deployment target).')
output functionAppName string = functionApp.outputs.name

@description('Public URL the gateway announces (hosting.base_url): baseUrl, or the function app\'s URL.')
output baseUrl string = functionApp.outputs.baseUrl

@description('Key Vault name (secrets: token-enc-key, origin-secret, and the auth secrets of the chosen mode).')
output keyVaultName string = keyVault.outputs.name

@description('Key Vault URI (MASTER__secrets__key_vault_uri).')
output keyVaultUri string = keyVault.outputs.uri

@description('Azure Managed Redis instance of the scale-out backplane.')
output redisName string = redis.outputs.name

@description('Storage account holding the gateway\'s tables (the gateway creates them) and the deployment package.')
output storageAccountName string = storage.outputs.name

@description('Client id of the app\'s user-assigned managed identity (AZURE_CLIENT_ID).')
output identityClientId string = identity.outputs.clientId
