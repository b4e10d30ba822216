import { graphql, usePaginationFragment } from "react-relay";

export function useCustomerList(queryRef) {
  return usePaginationFragment(
    graphql`
      fragment CustomerList_query on Query
      @argumentDefinitions(
        count: { type: "Int", defaultValue: 50 }
        cursor: { type: "String" }
        search: { type: "CustomerSearch" }
      )
      @refetchable(queryName: "CustomerListPaginationQuery") {
        customers(first: $count, after: $cursor, search: $search)
          @connection(key: "CustomerList_customers") {
          edges {
            node {
              id
              companyProfile {
                companyName
                domain
              }
            }
          }
        }
      }
    `,
    queryRef,
  );
}
