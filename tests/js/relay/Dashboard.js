const { graphql } = require("relay-runtime");
module.exports.deferred = graphql`
  query DashboardQuery {
    customers(first: 12) {
      nodes { id companyProfile { companyName domain } ...Dashboard_billing @defer }
    }
  }
`;
module.exports.plain = graphql`
  query DashboardPlainQuery {
    customers(first: 12) {
      nodes { id companyProfile { companyName domain } ...Dashboard_billing }
    }
  }
`;
module.exports.billing = graphql`
  fragment Dashboard_billing on Customer { billingProfile { firstName lastName email } }
`;
