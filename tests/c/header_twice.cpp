// The header compiles as C++ and survives being included twice.
#include "vpc.h"
#include "vpc.h"

int main() {
    vpc_status s = VPC_OK;
    vpc_link link = {};
    return static_cast<int>(s) + static_cast<int>(link.vni) + (vpc_version() == nullptr);
}
