// Placeholder until the consensus core lands.
namespace coal::consensus {}
