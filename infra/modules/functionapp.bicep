// Flex Consumption plan and the function app (dotnet-isolated 10.0), running as its user-assigned identity.
param planName string
param appName string
param location string
param tags object

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

param storageAccountName string
param deploymentContainerUrl string
param appInsightsConnectionString string
param keyVaultUri string
param tokenEncKeySecretName string
param originSecretName string

@description('Key Vault secret holding the Redis connection string (scaleout.redis).')
param redisConnectionSecretName string
param authMode string

@description('hosting.base_url; empty means the app\'s own https URL.')
param baseUrl string
param authJwtIssuer string
param authJwtAudience string
param authBrowserLoginClientId string
param browserLoginClientSecretName string
param authUpstreamPreset string
param authUpstreamIssuer string
param authUpstreamClientId string
param upstreamClientSecretName string
param signingKeySecretName string
param logLevel string
param appVersion string
param instanceMemoryMB int
param maximumInstanceCount int

@description('Extra app settings as { name, value } objects; names must not repeat the defaults below.')
param additionalAppSettings array

// The app's default host name is <name>.azurewebsites.net (no unique-hostname scope is requested below); the app
// settings cannot read it from the site itself without a cycle.
var effectiveBaseUrl = empty(baseUrl) ? 'https://${appName}.azurewebsites.net' : baseUrl
var jwtMode = authMode == 'jwt'
var gatewayMode = authMode == 'gateway'
var browserLogin = jwtMode && !empty(authBrowserLoginClientId)

// The gateway's configuration contract. Secrets never appear here: they are kv: references that the gateway resolves
// itself from MASTER__secrets__key_vault_uri with the identity (the same references work in a container, unlike
// @Microsoft.KeyVault(...) settings, which only the platform resolves). Settings of the mode not chosen are empty,
// and the gateway ignores empty MASTER__ variables, so no reference to a secret that does not exist is resolved.
var baseAppSettings = [
  // Functions host storage with the managed identity (shared keys are off on the account).
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storageAccountName
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identityClientId
  }
  // DefaultAzureCredential in the gateway (Table Storage, Key Vault) picks the user-assigned identity.
  {
    name: 'AZURE_CLIENT_ID'
    value: identityClientId
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsightsConnectionString
  }
  // Local auth is off on Application Insights: telemetry is sent with the identity.
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identityClientId};Authorization=AAD'
  }
  {
    name: 'MASTER__secrets__key_vault_uri'
    value: keyVaultUri
  }
  {
    name: 'TOKEN_ENC_KEY'
    value: 'kv:${tokenEncKeySecretName}'
  }
  {
    name: 'MASTER__security__origin_secret'
    value: empty(originSecretName) ? '' : 'kv:${originSecretName}'
  }
  {
    name: 'MASTER_BASE_URL'
    value: effectiveBaseUrl
  }
  {
    name: 'MASTER__auth__mode'
    value: authMode
  }
  {
    name: 'MASTER__auth__jwt__issuer'
    value: jwtMode ? authJwtIssuer : ''
  }
  {
    name: 'MASTER__auth__jwt__audience'
    value: jwtMode ? authJwtAudience : ''
  }
  {
    name: 'MASTER__auth__browser_login__client_id'
    value: browserLogin ? authBrowserLoginClientId : ''
  }
  {
    name: 'MASTER__auth__browser_login__client_secret'
    value: browserLogin ? 'kv:${browserLoginClientSecretName}' : ''
  }
  {
    name: 'MASTER__auth__upstream__preset'
    value: gatewayMode ? authUpstreamPreset : ''
  }
  {
    name: 'MASTER__auth__upstream__issuer'
    value: gatewayMode ? authUpstreamIssuer : ''
  }
  {
    name: 'MASTER__auth__upstream__client_id'
    value: gatewayMode ? authUpstreamClientId : ''
  }
  {
    name: 'MASTER__auth__upstream__client_secret'
    value: gatewayMode ? 'kv:${upstreamClientSecretName}' : ''
  }
  {
    name: 'MASTER__auth__signing_key'
    value: gatewayMode ? 'kv:${signingKeySecretName}' : ''
  }
  // Flex Consumption adds instances by itself and has no session affinity: the Redis backplane routes each session's
  // messages to the instance that owns it.
  {
    name: 'MASTER_REDIS'
    value: 'kv:${redisConnectionSecretName}'
  }
  // Staging runs the production configuration layer too (the environment name is only in resource names and tags).
  {
    name: 'MASTER_ENV'
    value: 'Production'
  }
  {
    name: 'MASTER_LOG_LEVEL'
    value: logLevel
  }
  {
    name: 'LOG_FORMAT'
    value: 'json'
  }
  {
    name: 'APP_VERSION'
    value: appVersion
  }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: concat(baseAppSettings, additionalAppSettings)
    }
  }
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostName}'
output baseUrl string = effectiveBaseUrl
