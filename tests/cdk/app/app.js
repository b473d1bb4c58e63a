// A small two-stack CDK app for archadvisor's tests: `node app.js OUTDIR` writes its
// cloud assembly, as `cdk synth` would (the context below is what the CDK CLI sets by
// default; stack traces are off so the output does not depend on where it runs).
// DataStack owns a queue and a table; ServiceStack's API and functions use them across
// stacks (CDK exports/imports), and a nested stack holds an audit queue.
const path = require("path");
const cdk = require("aws-cdk-lib");
const sqs = require("aws-cdk-lib/aws-sqs");
const lambda = require("aws-cdk-lib/aws-lambda");
const apigw = require("aws-cdk-lib/aws-apigateway");
const ddb = require("aws-cdk-lib/aws-dynamodb");
const sources = require("aws-cdk-lib/aws-lambda-event-sources");

const app = new cdk.App({
  outdir: process.argv[2] || "cdk.out",
  context: {
    "aws:cdk:enable-path-metadata": true,
    "aws:cdk:enable-asset-metadata": true,
    "aws:cdk:version-reporting": true,
    "aws:cdk:disable-stack-trace": true,
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
  },
});

class DataStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    this.queue = new sqs.Queue(this, "Orders");
    this.table = new ddb.Table(this, "OrdersTable", {
      partitionKey: { name: "id", type: ddb.AttributeType.STRING },
      billingMode: ddb.BillingMode.PAY_PER_REQUEST,
    });
  }
}

class Store extends cdk.NestedStack {
  constructor(scope, id, props) {
    super(scope, id, props);
    this.audit = new sqs.Queue(this, "Audit");
  }
}

class ServiceStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const code = lambda.Code.fromAsset(path.join(__dirname, "lambda"));
    const ingest = new lambda.Function(this, "Ingest", {
      runtime: lambda.Runtime.PYTHON_3_12, handler: "forward.handler", code,
      environment: { QUEUE_URL: props.queue.queueUrl },
    });
    props.queue.grantSendMessages(ingest);
    new apigw.LambdaRestApi(this, "Api", { handler: ingest });
    const worker = new lambda.Function(this, "Worker", {
      runtime: lambda.Runtime.PYTHON_3_12, handler: "forward.handler", code,
      environment: { TABLE: props.table.tableName },
    });
    worker.addEventSource(new sources.SqsEventSource(props.queue));
    props.table.grantWriteData(worker);
    const store = new Store(this, "Store");
    store.audit.grantSendMessages(worker);
    worker.addEnvironment("AUDIT_URL", store.audit.queueUrl);
  }
}

const data = new DataStack(app, "DataStack");
new ServiceStack(app, "ServiceStack", { queue: data.queue, table: data.table });
app.synth();
