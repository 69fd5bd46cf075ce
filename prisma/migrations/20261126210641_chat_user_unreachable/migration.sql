-- AlterTable
ALTER TABLE "ChatUser" ADD COLUMN     "unreachableAt" TIMESTAMP(3);

