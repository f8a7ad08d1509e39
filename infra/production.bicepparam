using './main.bicep'

param environmentName = 'production'
param appName = 'mastermcp'
param instanceMemoryMB = 2048
param maximumInstanceCount = 100
param authMode = 'jwt'
param logLevel = 'Information'
param logRetentionDays = 90
param appVersion = readEnvironmentVariable('APP_VERSION', 'dev')
param deployerPrincipalId = readEnvironmentVariable('DEPLOYER_PRINCIPAL_ID', '')
