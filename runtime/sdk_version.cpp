// The one source file of the SDK library (cmake/sdk.cmake); everything else comes from the
// runtime's static archives. Lets an embedding program check what it loaded.
#ifndef MICRONET_SDK_VERSION
#define MICRONET_SDK_VERSION ""
#endif

extern "C" const char* micronet_sdk_version() { return MICRONET_SDK_VERSION; }
