// The read-only web explorer page served at "/" (static HTML + vanilla JS calling /api/*).
#pragma once

namespace coal::node {
extern const char kExplorerHtml[];
}
