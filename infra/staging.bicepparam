using './main.bicep'

param environmentName = 'staging'
param appName = 'mastermcp'
param instanceMemoryMB = 2048
param maximumInstanceCount = 10
param authMode = 'jwt'
param logLevel = 'Debug'
param appVersion = readEnvironmentVariable('APP_VERSION', 'dev')
param deployerPrincipalId = readEnvironmentVariable('DEPLOYER_PRINCIPAL_ID', '')
