// What an operator looks at: an Azure Monitor workbook (calls, latency percentiles and errors per backend and tool,
// sessions, authentication failures) and three alert rules (a backend down, the tool-call error rate, p95 latency), all
// over the Application Insights data the gateway sends through OpenTelemetry (see README, Observability).
param appInsightsName string
param location string
param tags object

@description('Action group that alerts notify; empty: the rules fire without notifying anyone.')
param actionGroupId string = ''

@description('Share of failed tool calls over 15 minutes that raises the error-rate alert (percent).')
param errorRatePercent int = 5

@description('p95 tool-call latency over 15 minutes that raises the latency alert (milliseconds).')
param p95LatencyMs int = 5000

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsightsName, 'master-mcp-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Master MCP gateway'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: loadTextContent('../monitoring/gateway-workbook.json')
  }
}

var actions = empty(actionGroupId) ? {} : { actionGroups: [ actionGroupId ] }

// A required or optional backend whose shared session is not connected (the gateway's master_mcp.backend.up gauge).
var backendDownQuery = 'customMetrics | where name == \'master_mcp.backend.up\' | summarize up = min(value) by backend = tostring(customDimensions[\'master_mcp.backend.id\']) | where up < 1'

// Failed tool calls (error.type set by the MCP SDK: a JSON-RPC code or tool_error) as a share of all tool calls.
var errorRateQuery = 'requests | where tostring(customDimensions[\'mcp.method.name\']) == \'tools/call\' | summarize total = count(), failed = countif(isnotempty(tostring(customDimensions[\'error.type\']))) | where total > 0 | extend rate = 100.0 * failed / total | where rate > ${errorRatePercent}'

var latencyQuery = 'requests | where tostring(customDimensions[\'mcp.method.name\']) == \'tools/call\' | summarize p95 = percentile(duration, 95) by tool = tostring(customDimensions[\'gen_ai.tool.name\']) | where p95 > ${p95LatencyMs}'

var rules = [
  {
    name: 'backend-down'
    displayName: 'Master MCP: a backend is down'
    severity: 1
    query: backendDownQuery
  }
  {
    name: 'error-rate'
    displayName: 'Master MCP: tool-call error rate above ${errorRatePercent}%'
    severity: 2
    query: errorRateQuery
  }
  {
    name: 'p95-latency'
    displayName: 'Master MCP: p95 tool-call latency above ${p95LatencyMs} ms'
    severity: 3
    query: latencyQuery
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in rules: {
  name: 'alert-${appInsightsName}-${rule.name}'
  location: location
  tags: tags
  properties: {
    displayName: rule.displayName
    severity: rule.severity
    enabled: true
    scopes: [ appInsights.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}]

output workbookId string = workbook.id
