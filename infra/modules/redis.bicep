// Azure Managed Redis: the scale-out backplane (scaleout.redis). The gateway signs in with the access key, kept only
// in Key Vault as a StackExchange.Redis connection string; Entra sign-in to Redis would need the
// Microsoft.Azure.StackExchangeRedis package, which the gateway does not use.
param name string
param location string
param tags object

@description('Azure Managed Redis SKU, e.g. Balanced_B0 (smallest) or Balanced_B1.')
param skuName string

@description('Replicate across two nodes; off halves the cost (staging).')
param highAvailability bool

@description('Key Vault that receives the connection string.')
param keyVaultName string

@description('Name of the Key Vault secret holding the connection string (MASTER_REDIS = kv:<name>).')
param connectionSecretName string

resource redis 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: highAvailability ? 'Enabled' : 'Disabled'
    publicNetworkAccess: 'Enabled'
  }
}

// Enterprise clustering: one endpoint that behaves like a single Redis to the client (pub/sub and every key on one
// connection), which is what the gateway's StackExchange.Redis connection expects. The backplane keeps only
// short-lived keys with a TTL, so nothing is evicted that the gateway still needs.
resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: redis
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'NoEviction'
    accessKeysAuthentication: 'Enabled'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: connectionSecretName
  properties: {
    contentType: 'StackExchange.Redis connection string'
    value: '${redis.properties.hostName}:${database.properties.port},password=${database.listKeys().primaryKey},ssl=True,abortConnect=False'
  }
}

output name string = redis.name
output hostName string = redis.properties.hostName
output connectionSecretName string = connectionSecret.name
